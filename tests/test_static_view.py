"""Every stored lesson, exported to HTML by nbconvert and opened offline in headless Chromium,
shows what ran: bars in their final state, widgets as their static copies, every figure.

This is what a reader sees without a kernel (an HTML export, nbviewer, a printed handout):
- no progress bar frozen at ``0%|`` (lstm_lab.progress stores the final line);
- no widget repr (``VBox(children=...``): each widget output carries a static HTML copy
  (lstm_lab.widgets.StaticViewBox) with the line saying the live version needs a kernel;
- no traceback, except in cells tagged ``raises-exception`` (Lesson 8 reads one on purpose);
- every image output present and loaded (``naturalWidth > 0``), as many as the notebook stores.

The page is opened from a file with every network request refused, as offline (the CDN scripts
nbconvert's template asks for, require.js and MathJax, fail; nothing here depends on them).
One Chromium serves all notebooks. Skipped, with the reason, when Chromium or Playwright is
missing; with ``LSTM_LAB_REQUIRE_BROWSER=1`` (.ci/run) a missing piece FAILS instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from test_browser import CHROMIUM_FLAGS, _unavailable, find_chromium

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
ZERO_BAR = re.compile(r"(?<![\d.])0%\|")  # "0%|" but not the end of "100%|"
WIDGET_REPRS = ("VBox(", "HBox(", "IntSlider(", "FloatSlider(", "Output()", "interactive(", "IntProgress(")
TRACEBACK = "Traceback (most recent call last)"
LIVE_NOTE = "needs a running kernel"


def expected_outputs(nb: nbformat.NotebookNode) -> tuple[int, list[str]]:
    """(images the HTML export must show, problems visible in the notebook file itself).

    An output counts the images of the representation nbconvert picks: the ``<img>`` tags of
    its ``text/html`` if it has one, else one for a PNG or JPEG.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    images, problems = 0, []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                where = f"cell {index} ({(cell.source.splitlines() or [''])[0][:60]!r})"
                if data[WIDGET_VIEW]["model_id"] in state:
                    problems.append(f"{where}: the widget's state is stored, so nbconvert draws it with "
                                    "JavaScript from a CDN (blank offline); store no widget state "
                                    "(tools/execute_notebooks.py drops it)")
                if "text/html" not in data:
                    problems.append(f"{where}: a widget without a static copy; make it a "
                                    "lstm_lab.widgets.StaticViewBox (a tqdm bar: use lstm_lab.progress)")
            if "text/html" in data:
                images += data["text/html"].count("<img")
            elif "image/png" in data or "image/jpeg" in data:
                images += 1
    return images, problems


def count_widgets(nb: nbformat.NotebookNode) -> int:
    return sum(WIDGET_VIEW in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", []))


def render_html(path: Path, out_dir: Path) -> Path:
    """The notebook exported by nbconvert's HTML exporter (its default lab template)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4),
                                               resources={"metadata": {"name": path.stem, "path": str(path.parent)}})
    html_path = out_dir / f"{path.stem}.html"
    html_path.write_text(body, encoding="utf-8")
    return html_path


@pytest.fixture(scope="module")
def offline_page():
    """One headless Chromium for every notebook; its pages may load only file: and data: URLs."""
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
            context = browser.new_context(viewport={"width": 1200, "height": 900}, offline=True)
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                          else route.abort())  # fmt: skip
            page = context.new_page()
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()


def check_static_view(page, path: Path, out_dir: Path) -> list[str]:
    """Everything wrong with ``path``'s HTML export as the browser shows it (empty: all good)."""
    nb = nbformat.read(path, as_version=4)
    expected_images, problems = expected_outputs(nb)
    page.goto(render_html(path, out_dir).as_uri(), wait_until="load")
    outputs = page.locator(".jp-OutputArea-output")
    checked_text = "\n".join(outputs.all_inner_texts())
    for match in ZERO_BAR.finditer(checked_text):
        line = checked_text[checked_text.rfind("\n", 0, match.start()) + 1:checked_text.find("\n", match.end())]
        problems.append(f"a progress bar frozen at 0%: {line.strip()!r} (use lstm_lab.progress.progress_bar)")
    problems += [f"a widget repr is shown: {r!r}" for r in WIDGET_REPRS if r in checked_text]
    unexpected = page.locator(".jp-Cell:not(.celltag_raises-exception) .jp-OutputArea-output").all_inner_texts()
    if any(TRACEBACK in text for text in unexpected):
        problems.append("a traceback in a cell not tagged raises-exception")

    static_views = page.locator(".lstm-lab-static-view").all_inner_texts()
    if len(static_views) != count_widgets(nb):
        problems.append(f"{count_widgets(nb)} widget outputs but {len(static_views)} static copies shown")
    problems += [f"a static copy without the live note: {t[:80]!r}" for t in static_views if LIVE_NOTE not in t]

    images = page.eval_on_selector_all(
        "img", "els => els.map(e => ({inOutput: !!e.closest('.jp-OutputArea-output'), complete: e.complete, "
               "width: e.naturalWidth, alt: e.alt}))")  # fmt: skip
    shown = [im for im in images if im["inOutput"]]
    if len(shown) != expected_images:
        problems.append(f"the notebook stores {expected_images} images, the page shows {len(shown)}")
    problems += [f"an image that did not load (alt {im['alt']!r})" for im in images
                 if not (im["complete"] and im["width"] > 0)]
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_static_html_shows_what_ran(offline_page, path, tmp_path):
    problems = check_static_view(offline_page, path, tmp_path)
    assert not problems, f"{path.name} as static HTML:\n- " + "\n- ".join(problems)


def test_a_frozen_bar_a_widget_repr_and_a_missing_image_are_each_found(offline_page, tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    bar = new_code_cell("train(...)", outputs=[new_output("display_data", data={
        "text/plain": "training:   0%|          | 0/3000 [00:00<?, ?step/s]",
        WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": "a1"}})])
    widget = new_code_cell("explorer", outputs=[new_output("execute_result", execution_count=2, data={
        "text/plain": "VBox(children=(HBox(children=(Text(value='Gregor'),)),))",
        WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": "b2"}})])
    broken = new_code_cell("plot", outputs=[new_output("display_data", data={
        "text/html": '<img src="missing-figure.png" alt="lost">', "text/plain": "<Figure>"})])
    crash = new_code_cell("1/0", outputs=[new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                                     traceback=[f"ZeroDivisionError   {TRACEBACK}"])])
    path = tmp_path / "bad.ipynb"
    nbformat.write(new_notebook(cells=[bar, widget, broken, crash]), path)
    report = "\n".join(check_static_view(offline_page, path, tmp_path))
    for expected in ["frozen at 0%", "'VBox('", "without a static copy", "0 static copies", "did not load",
                     "not tagged raises-exception"]:
        assert expected in report, f"{expected!r} not reported:\n{report}"
