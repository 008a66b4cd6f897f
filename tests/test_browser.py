"""End to end: Lesson 10's widgets render and react in a real JupyterLab, in headless Chromium.

nbval runs the notebook without a browser, so it cannot tell whether the widgets actually
show up in JupyterLab with the versions we install. This test starts JupyterLab on
127.0.0.1 (random free port, a token) serving a copy of notebook 10, opens it in Debian's
Chromium through Playwright's Python client (``executable_path``; Playwright's own browser
download is never used), runs all cells, moves the temperature slider of the sampling
explorer and checks that a new sample appears. It saves a screenshot to
``build/browser/notebook10.png``.

Skipped, with the reason, when Chromium or Playwright is missing; with
``LSTM_LAB_REQUIRE_BROWSER=1``, which .ci/run sets, a missing piece FAILS instead.
Install them with ``apt-get install chromium`` and ``pip install playwright`` (never run
``playwright install``: it would download a browser of its own).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "10_inside_the_lstm.ipynb"
SCREENSHOT = ROOT / "build" / "browser" / "notebook10.png"
REQUIRED = os.environ.get("LSTM_LAB_REQUIRE_BROWSER") == "1"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SERVER_START_SECONDS = 90
RUN_ALL_SECONDS = 420  # the whole lesson, on a slow shared machine
SAMPLE_CHANGE_SECONDS = 240  # the slider's change may queue behind the cells still running


def _unavailable(reason: str) -> None:
    fix = "Install with: apt-get install chromium && .venv/bin/pip install playwright."
    if REQUIRED:
        pytest.fail(f"{reason} The browser test is required here (LSTM_LAB_REQUIRE_BROWSER=1). {fix}")
    pytest.skip(f"{reason} {fix}")


def find_chromium() -> str | None:
    """Path of a Chromium binary: $LSTM_LAB_CHROMIUM, else Debian's chromium on the PATH."""
    explicit = os.environ.get("LSTM_LAB_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab serving a copy of notebook 10 (autosave must never touch the real one)."""
    work = tmp_path / "lab"
    work.mkdir()
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTERLAB_SETTINGS_DIR", "settings"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")]:
        env[var] = str(tmp_path / sub)  # a clean lab: no saved layout or settings from the user
    # Render every cell (not only those on screen), and no news pop-up over the screenshot.
    settings = {"notebook-extension/tracker": {"windowingMode": "none"},
                "apputils-extension/notification": {"fetchNews": "false"}}
    for name, values in settings.items():
        path = tmp_path / "settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", "--ServerApp.port_retries=0",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers often run as root
    log = tmp_path / "jupyterlab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # its own process group: kernels go with it
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(f"{base}/api/status?token={token}", proc, log)
        yield {"url": f"{base}/lab/tree/{NOTEBOOK.name}?token={token}", "log": log}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass


def _accept_kernel_dialog(page, seconds: float) -> None:
    """JupyterLab may ask which kernel to use; accept its choice (the notebook's python3)."""
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        accept.wait_for(timeout=seconds * 1000)
    except Exception:  # no dialog: nothing to do
        return
    accept.click()


def _sample_text(page) -> str:
    return page.locator(".lstm-lab-sampling-explorer pre.lstm-lab-sample").first.text_content()


def test_widgets_render_and_react_in_jupyterlab(jupyterlab):
    chromium = find_chromium()
    if chromium is None:
        _unavailable("No Chromium found (looked for $LSTM_LAB_CHROMIUM, chromium, chromium-browser).")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("The Python package playwright is not installed.")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS, timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(jupyterlab["url"])
            page.locator(".jp-Notebook .jp-Cell").first.wait_for()
            # Wait until the kernel is up before running: the toolbar's status says so.
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(timeout=120_000)

            _accept_kernel_dialog(page, 5)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
            _accept_kernel_dialog(page, 10)

            explorer = page.locator(".lstm-lab-sampling-explorer")
            explorer.wait_for(timeout=RUN_ALL_SECONDS * 1000)
            page.locator(".lstm-lab-sampling-explorer pre.lstm-lab-sample").first.wait_for()
            before = _sample_text(page)
            assert before.startswith("Gregor") and len(before) > 100

            # Move the temperature slider three steps right with the keyboard (0.8 -> 1.1).
            handle = page.locator(".lstm-lab-temperature .noUi-handle").first
            handle.scroll_into_view_if_needed()
            handle.focus()
            for _ in range(3):
                handle.press("ArrowRight")
            readout = page.locator(".lstm-lab-temperature .widget-readout").first
            assert readout.inner_text().strip() == "1.1", f"the slider shows {readout.inner_text()!r}"

            deadline = time.monotonic() + SAMPLE_CHANGE_SECONDS
            after = before
            while after == before and time.monotonic() < deadline:
                page.wait_for_timeout(500)
                after = _sample_text(page)
            assert after != before, "moving the temperature slider did not change the sample"
            assert after.startswith("Gregor")

            # The other two widgets rendered as well: the inspector's heatmap image and the playground.
            page.locator(".lstm-lab-gate-inspector img").first.wait_for(timeout=RUN_ALL_SECONDS * 1000)
            page.locator(".lstm-lab-training-playground button", has_text="train").first.wait_for()
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(
                timeout=RUN_ALL_SECONDS * 1000)
            outputs = " ".join(page.locator(".jp-OutputArea-output").all_inner_texts())
            assert "Traceback" not in outputs, "a cell raised when run in JupyterLab"

            explorer.scroll_into_view_if_needed()
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))
        except Exception:
            log = jupyterlab["log"].read_text()[-3000:]
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(SCREENSHOT.with_name("notebook10-failure.png")))
            except Exception:
                pass
            print(f"JupyterLab log (tail):\n{log}")
            raise
        finally:
            browser.close()


def test_find_chromium_honours_the_environment(monkeypatch, tmp_path):
    fake = tmp_path / "my-chromium"
    fake.write_text("")
    monkeypatch.setenv("LSTM_LAB_CHROMIUM", str(fake))
    assert find_chromium() == str(fake)
    monkeypatch.setenv("LSTM_LAB_CHROMIUM", str(tmp_path / "missing"))
    assert find_chromium() is None
