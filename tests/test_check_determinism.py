"""tools/check_determinism.py runs notebooks under two CPU configurations and compares them by nbval's rules."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

TOOL = Path(__file__).resolve().parent.parent / "tools" / "check_determinism.py"
spec = importlib.util.spec_from_file_location("check_determinism", TOOL)
check_determinism = importlib.util.module_from_spec(spec)
sys.modules["check_determinism"] = check_determinism  # dataclasses look their module up there
spec.loader.exec_module(check_determinism)
PATTERNS = check_determinism.get_sanitize_patterns(check_determinism.SANITIZE_FILE.read_text())
Configuration = check_determinism.Configuration

# --- comparing two executed notebooks ------------------------------------------------------------


def notebook(loss_text: str, timing: str, figure: str, png: str, bar: str) -> nbformat.NotebookNode:
    ignored = new_code_cell("print(time.time())", metadata={"tags": ["nbval-ignore-output"]})
    ignored.outputs = [new_output("stream", name="stdout", text=timing)]
    checked = new_code_cell("# the loss after training\nprint(loss)")
    checked.outputs = [new_output("stream", name="stdout", text="loss "), new_output("stream", name="stdout",
                                                                                      text=loss_text)]
    plot = new_code_cell("plt.show()")
    plot.outputs = [new_output("display_data", data={"text/plain": figure, "image/png": png})]
    progress = new_code_cell("for _ in tqdm(range(3)): pass")
    progress.outputs = [new_output("stream", name="stderr", text=bar)]
    return new_notebook(cells=[new_markdown_cell("# Title"), ignored, checked, plot, progress])


def test_identical_checked_outputs_agree_whatever_nbval_ignores():
    one = notebook("2.1234\n", "1.5 s\n", "<Figure size 800x360 with 1 Axes>", "AAAA", "3/3 [00:01<00:00, 2.1it/s]")
    two = notebook("2.1234\n", "9.9 s\n", "<Figure size 1000x450 with 1 Axes>", "BBBB", "3/3 [00:02<00:00, 1.4it/s]")
    assert check_determinism.differences(one, two, PATTERNS) == []


def test_a_changed_checked_output_is_reported_with_its_cell_its_first_line_and_both_outputs():
    one = notebook("2.1234\n", "1 s\n", "<Figure size 800x360 with 1 Axes>", "A", "")
    two = notebook("2.1235\n", "1 s\n", "<Figure size 800x360 with 1 Axes>", "A", "")
    [difference] = check_determinism.differences(one, two, PATTERNS, ("best", "AVX2"))
    assert (difference.cell, difference.source, difference.key) == (1, "# the loss after training", "stdout")
    report = difference.report("depends on the CPU configuration")
    assert report.startswith("Cell 1 `# the loss after training` (stdout) depends on the CPU configuration:")
    assert "--- best" in report and "+++ AVX2" in report
    assert "-loss 2.1234" in report and "+loss 2.1235" in report


def test_a_different_number_of_axes_is_a_difference():
    one = notebook("1\n", "", "<Figure size 800x360 with 1 Axes>", "A", "")
    two = notebook("1\n", "", "<Figure size 800x360 with 2 Axes>", "A", "")
    [difference] = check_determinism.differences(one, two, PATTERNS)
    assert (difference.cell, difference.key) == (2, "text/plain")


def test_a_long_difference_is_cut_and_says_how_much_is_left_out():
    one = notebook("".join(f"{i}\n" for i in range(40)), "", "", "", "")
    two = notebook("".join(f"{i + 1}.5\n" for i in range(40)), "", "", "", "")
    [difference] = check_determinism.differences(one, two, PATTERNS)
    report = difference.report(limit=10)
    assert report.count("\n      ") == 11 and "more diff lines)" in report


def test_a_cell_raising_without_the_raises_exception_tag_is_an_error_as_under_nbval():
    expected = new_code_cell("int('x')", metadata={"tags": ["raises-exception"]})
    unexpected = new_code_cell("x = 1\n1 / 0")
    for cell, name in ((expected, "ValueError"), (unexpected, "ZeroDivisionError")):
        cell.outputs = [new_output("error", ename=name, evalue="boom", traceback=[])]
    nb = new_notebook(cells=[expected, new_markdown_cell("text"), unexpected])
    assert check_determinism.unexpected_errors(nb) == ["Cell 1 `x = 1` raised ZeroDivisionError: boom"]


# --- choosing the configurations from what the CPU and numpy report ----------------------------------

NUMPY_2_4_DISPATCH = ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"]
NUMPY_2_0_DISPATCH = ["SSSE3", "SSE41", "POPCNT", "SSE42", "AVX", "F16C", "FMA3", "AVX2", "AVX512F",
                      "AVX512CD", "AVX512_KNL", "AVX512_SKX", "AVX512_CLX", "AVX512_CNL", "AVX512_ICL"]


def cpu(machine: str, dispatch: list[str], has: set[str]) -> dict:
    """A probe result: the CPU features this machine has among every name numpy knows."""
    names = set(dispatch) | {"SSE42", "AVX", "F16C", "FMA3", "AVX2", "AVX512F", "X86_V2"}
    return {"machine": machine, "dispatch": dispatch, "features": {n: n in has for n in names}, "blas": []}


def test_an_avx512_machine_is_compared_with_an_avx2_one_haswell_kernel_and_numpy_without_avx512():
    server = cpu("x86_64", NUMPY_2_4_DISPATCH, {"AVX", "F16C", "FMA3", "AVX2", "X86_V3", "AVX512F", "X86_V4",
                                                  "AVX512_ICL", "AVX512_SPR"})
    best, reduced, why = check_determinism.choose_configurations(server)
    assert best.variables() == {}
    assert reduced.variables() == {"OPENBLAS_CORETYPE": "Haswell",
                                   "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}
    assert reduced.name == "AVX2" and "AVX-512" in why


def test_only_targets_the_cpu_has_are_disabled_whatever_numpy_calls_them():
    skylake = cpu("x86_64", NUMPY_2_0_DISPATCH, {"SSSE3", "SSE41", "POPCNT", "SSE42", "AVX", "F16C", "FMA3",
                                                   "AVX2", "AVX512F", "AVX512CD", "AVX512_SKX"})
    _, reduced, _ = check_determinism.choose_configurations(skylake)
    assert reduced.openblas_core == "Haswell"
    assert reduced.numpy_disabled == ("AVX512F", "AVX512CD", "AVX512_SKX")  # no ICL: this CPU has none


def test_an_avx2_machine_is_compared_with_sandybridge_and_numpy_without_avx2():
    laptop = cpu("x86_64", NUMPY_2_0_DISPATCH, {"SSSE3", "SSE41", "POPCNT", "SSE42", "AVX", "F16C", "FMA3", "AVX2"})
    _, reduced, why = check_determinism.choose_configurations(laptop)
    assert (reduced.openblas_core, reduced.numpy_disabled) == ("Sandybridge", ("FMA3", "AVX2"))
    laptop_new_numpy = cpu("x86_64", NUMPY_2_4_DISPATCH, {"AVX", "F16C", "FMA3", "AVX2", "X86_V3"})
    _, reduced, _ = check_determinism.choose_configurations(laptop_new_numpy)
    assert (reduced.openblas_core, reduced.numpy_disabled) == ("Sandybridge", ("X86_V3",))
    assert "the CPU has AVX2" in why


def test_an_avx_machine_goes_down_to_nehalem_and_one_without_avx_has_no_second_configuration():
    old = cpu("x86_64", NUMPY_2_0_DISPATCH, {"SSSE3", "SSE41", "POPCNT", "SSE42", "AVX", "F16C"})
    _, reduced, _ = check_determinism.choose_configurations(old)
    assert (reduced.openblas_core, reduced.numpy_disabled) == ("Nehalem", ("AVX", "F16C"))
    older = cpu("x86_64", NUMPY_2_0_DISPATCH, {"SSSE3", "SSE41", "POPCNT", "SSE42"})
    assert check_determinism.choose_configurations(older)[1] is None


def test_arm_uses_openblas_generic_kernel_and_no_numpy_targets():
    arm = cpu("aarch64", ["ASIMDHP", "ASIMDDP", "SVE"], {"ASIMDHP", "ASIMDDP"})
    _, reduced, _ = check_determinism.choose_configurations(arm)
    assert (reduced.openblas_core, reduced.numpy_disabled) == ("ARMV8", ("ASIMDHP", "ASIMDDP"))


def test_the_best_configuration_clears_cpu_variables_the_user_set(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Nehalem")
    monkeypatch.setenv("NPY_DISABLE_CPU_FEATURES", "X86_V3")
    assert "OPENBLAS_CORETYPE" not in Configuration("best", "").environ()
    assert "NPY_DISABLE_CPU_FEATURES" not in Configuration("best", "").environ()
    assert Configuration("AVX2", "", "Haswell").environ()["OPENBLAS_CORETYPE"] == "Haswell"


def test_a_kernel_that_did_not_take_its_configuration_is_caught():
    config = Configuration("AVX2", "", "Haswell", ("X86_V4", "AVX512_ICL"))
    took = {"features": {"X86_V3": True, "X86_V4": False, "AVX512_ICL": False},
            "blas": [{"api": "openblas", "core": "Haswell"}]}
    ignored = {"features": {"X86_V3": True, "X86_V4": False, "AVX512_ICL": True},
               "blas": [{"api": "openblas", "core": "SkylakeX"}]}
    assert check_determinism.mismatch(config, took) == ""
    assert check_determinism.mismatch(config, ignored) == (
        "OpenBLAS runs SkylakeX, not Haswell; numpy still uses AVX512_ICL")
    # Another BLAS (MKL, Accelerate) ignores OPENBLAS_CORETYPE: only numpy's paths are compared.
    assert check_determinism.mismatch(config, {**took, "blas": [{"api": "mkl", "core": None}]}) == ""


# --- the whole tool on a tiny notebook ----------------------------------------------------------------


def test_a_cell_whose_output_depends_on_the_cpu_configuration_is_reported(tmp_path):
    """Real kernels under both configurations: a printed OPENBLAS_CORETYPE differs, an ignored one does not."""
    [best, reduced], _ = check_determinism.configurations()
    assert reduced.openblas_core or reduced.numpy_disabled, "this CPU has no second configuration"
    path = tmp_path / "cpu.ipynb"
    nbformat.write(new_notebook(cells=[
        new_markdown_cell("# CPU"),
        new_code_cell("print(2 + 2)"),
        new_code_cell("import os\n"
                      "print(os.environ.get('OPENBLAS_CORETYPE'), os.environ.get('NPY_DISABLE_CPU_FEATURES'))"),
        new_code_cell("print(os.environ.get('OPENBLAS_CORETYPE'))", metadata={"tags": ["nbval-ignore-output"]}),
    ]), path)
    result = subprocess.run([sys.executable, str(TOOL), str(path)], capture_output=True, text=True, timeout=300)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert f"{reduced.name:8} {reduced.about}: {reduced.command_line()}" in out
    assert "cpu.ipynb: 2 checked cells, 1 problem(s)" in out
    assert "Cell 1 `import os` (stdout) depends on the CPU configuration:" in out
    assert f"--- {best.name}" in out and f"+++ {reduced.name}" in out
    assert "-None None" in out and f"+{reduced.openblas_core} {' '.join(reduced.numpy_disabled)}" in out
    assert "Cell 2" not in out  # tagged nbval-ignore-output
    assert f"{reduced.name}: {check_determinism.describe(check_determinism.probe_kernel(reduced.environ()))}" in out
