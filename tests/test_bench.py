"""The benchmark compares like with like: the seed-style LSTM is the same model, and it learns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.__main__ import (
    AVX2_LAPTOP,
    CPU_VARIABLES,
    SIZES,
    TORCH_ON_AVX2,
    best_chars_per_second,
    configurations,
    environment,
    floor_table,
    ours,
    report,
    seed_style,
    step_gemm_flops,
    throughput_table,
)
from bench.seed_style import SeedStyleLSTM
from lstm_lab.gradcheck import numerical_gradient
from lstm_lab.lstm import LSTM


def twin_of(seed_model: SeedStyleLSTM) -> LSTM:
    """Our LSTM with the seed-style model's weights: z = [h; x] there, [x; h] here, and transposed."""
    V, H = seed_model.V, seed_model.H
    model = LSTM(V, H)
    for g in "fiCo":
        W = seed_model.params[f"W_{g}"][0]  # (H, H + V), columns h first
        getattr(model, f"W_{g}").value[...] = np.concatenate([W[:, H:], W[:, :H]], axis=1).T
        getattr(model, f"b_{g}").value[...] = seed_model.params[f"b_{g}"][0][:, 0]
    model.W_y.value[...] = seed_model.params["W_v"][0].T
    model.b_y.value[...] = seed_model.params["b_v"][0][:, 0]
    return model


def test_seed_style_model_computes_what_lstm_lab_computes():
    V, H, T = 7, 5, 6
    rng = np.random.default_rng(0)
    seed_model = SeedStyleLSTM(V, H, seed=1)
    for _, (value, _, _) in seed_model.params.items():
        value += 0.1 * rng.standard_normal(value.shape)  # nonzero biases too
    inputs, targets = rng.integers(0, V, T), rng.integers(0, V, T)
    h0, C0 = 0.3 * rng.standard_normal((H, 1)), 0.3 * rng.standard_normal((H, 1))
    loss, h_T, C_T = seed_model.forward_backward(inputs.tolist(), targets.tolist(), h0, C0)

    model = twin_of(seed_model)
    our_loss, (our_h, our_C) = model.loss(inputs[None], targets[None], (h0.T, C0.T))
    assert our_loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(our_h, h_T.T, rtol=1e-12)
    np.testing.assert_allclose(our_C, C_T.T, rtol=1e-12)
    W_f_grad = seed_model.params["W_f"][1]
    np.testing.assert_allclose(model.W_f.grad, np.concatenate([W_f_grad[:, H:], W_f_grad[:, :H]], axis=1).T,
                               rtol=1e-9, atol=1e-12)


def test_seed_style_gradients_are_right():
    V, H, T = 5, 4, 4
    rng = np.random.default_rng(2)
    model = SeedStyleLSTM(V, H, seed=3)
    inputs, targets = rng.integers(0, V, T).tolist(), rng.integers(0, V, T).tolist()
    h0, C0 = np.zeros((H, 1)), np.zeros((H, 1))
    def loss() -> float:
        return model.forward_backward(inputs, targets, h0, C0)[0]

    for name, (value, grad, _) in model.params.items():
        for index in [(0, 0), (value.shape[0] - 1, value.shape[1] - 1)]:
            numeric = numerical_gradient(loss, value, index)
            loss()  # the gradient at the unperturbed point (each call overwrites grad)
            assert grad[index] == pytest.approx(numeric, rel=1e-6, abs=1e-9), name


def test_seed_style_training_lowers_the_loss_on_a_repeated_string():
    text = [0, 1, 2, 3, 4, 2, 1] * 4
    model = SeedStyleLSTM(5, 16, seed=0)
    h, C = np.zeros((16, 1)), np.zeros((16, 1))
    first = model.train_step(text[:25], text[1:26], h, C)[0]
    for _ in range(60):
        last = model.train_step(text[:25], text[1:26], h, C)[0]
    assert last < 0.5 * first


def test_benchmark_steps_run_and_the_report_has_every_row():
    ids = np.random.default_rng(0).integers(0, 11, 4000)
    calls = {"seed": 0}

    def counted_seed_step() -> None:
        calls["seed"] += 1
        seed_step()

    seed_step = seed_style(ids, 11)
    steps = {"seed": (counted_seed_step, 25), "ours": (ours(ids, 11, 4, np.float32), 100)}
    rates = best_chars_per_second(steps, {"seed": 2, "ours": 3}, repeats=2)
    assert calls["seed"] == 3 + 2 * 2  # warm-up, then two blocks of two
    rows = [
        {"impl": "seed-style per-step LSTM", "B": 1, "H": 100, "dtype": "float64", "cps": rates["seed"]},
        {"impl": "lstm_lab LSTM", "B": 4, "H": 100, "dtype": "float32", "cps": rates["ours"]},
    ]
    for r in rows:
        r["vs_seed"], r["vs_torch"] = r["cps"] / rows[0]["cps"], None
    result = {"kernel": "SkylakeX", "blas": "openblas", "numpy_simd": "X86_V3", "torch": None, "V": 11, "rows": rows}
    text = report({"best": result}, quality=None, nb_seconds=None)
    assert "| best | lstm_lab LSTM | 4 | 100 | float32 |" in text and "n/a" in text and "PyTorch: not installed" in text
    assert "| 4 | 100 | float32 | n/a |" in text  # the ratio table: no PyTorch, no ratio
    assert all(r["cps"] > 0 for r in rows)


def test_report_puts_each_configuration_s_ratio_side_by_side():
    def rows(ratio: float) -> list[dict]:
        return [
            {"impl": "seed-style per-step LSTM", "B": 1, "H": 100, "dtype": "float64", "cps": 1.0,
             "vs_seed": 1.0, "vs_torch": None},
            {"impl": "lstm_lab LSTM", "B": 32, "H": 256, "dtype": "float32", "cps": 2.0, "vs_seed": 2.0,
             "vs_torch": ratio},
        ]  # fmt: skip

    results = {
        "best": {"kernel": "SkylakeX", "blas": "b1", "numpy_simd": "X86_V3 X86_V4", "torch": "2", "V": 11,
                 "rows": rows(1.25), "env": {}},
        "AVX2 laptop": {"kernel": "Haswell", "blas": "b2", "numpy_simd": "X86_V3", "torch": "2", "V": 11,
                        "rows": rows(0.5), "env": AVX2_LAPTOP},
    }  # fmt: skip
    text = report(results, quality=None, nb_seconds=None)
    assert "| B | H | dtype | best (SkylakeX) | AVX2 laptop (Haswell) |" in text
    assert "| 32 | 256 | float32 | 1.25x | 0.50x |" in text
    assert 'OPENBLAS_CORETYPE=Haswell NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"' in text


def test_configurations_are_only_what_the_cpu_supports():
    laptop = configurations({"avx2", "avx512f"})
    assert list(laptop) == ["best", "AVX2 laptop", "numpy on AVX2, PyTorch on AVX-512"]
    # best: every library chooses its own kernels, whatever the machine or the shell pins
    none = dict.fromkeys(CPU_VARIABLES)
    assert laptop["best"] == none and {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "ONEDNN_MAX_CPU_ISA"} <= set(none)
    # the laptop: numpy, OpenBLAS and every PyTorch kernel family (oneDNN's LSTM included) on AVX2
    assert laptop["AVX2 laptop"] == {**none, **AVX2_LAPTOP, **TORCH_ON_AVX2}
    assert TORCH_ON_AVX2["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    # the mix: numpy and OpenBLAS on AVX2, PyTorch left to choose (an inherited ONEDNN_MAX_CPU_ISA removed)
    assert laptop["numpy on AVX2, PyTorch on AVX-512"] == {**none, **AVX2_LAPTOP}
    assert laptop["numpy on AVX2, PyTorch on AVX-512"]["ONEDNN_MAX_CPU_ISA"] is None
    assert list(configurations({"avx2"})) == ["best"]  # an AVX2 machine's best already is the laptop
    assert list(configurations(set())) == ["best"]


def test_a_configuration_removes_the_variables_it_sets_to_none():
    base = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "512", "ONEDNN_MAX_CPU_ISA": "AVX2", "PATH": "/bin"}
    assert environment(configurations({"avx2"})["best"], base) == {"PATH": "/bin"}
    laptop = environment(configurations({"avx2", "avx512f"})["AVX2 laptop"], base)
    assert laptop["OPENBLAS_CORETYPE"] == "Haswell" and "OPENBLAS_L2_SIZE" not in laptop
    assert laptop["ONEDNN_MAX_CPU_ISA"] == "AVX2" and laptop["PATH"] == "/bin"
    mixed = environment(configurations({"avx2", "avx512f"})["numpy on AVX2, PyTorch on AVX-512"], base)
    assert "ONEDNN_MAX_CPU_ISA" not in mixed  # the shell's pin does not reach the PyTorch said to choose
    assert base["OPENBLAS_L2_SIZE"] == "512"  # the caller's dict is left alone


def test_the_floor_counts_every_multiply_of_a_step():
    # B = 2, H = 3, V = 5, T = 4: (B, H) x (H, 4H) products 4 forwards, 3 backwards (none
    # reaches past the first step) and 4 into dW_h; three (B, H) x (H, V) per step
    assert step_gemm_flops(2, 3, 5, T=4) == (4 + 3 + 4) * 2 * 2 * 3 * 12 + 3 * 4 * 2 * 2 * 3 * 5
    rows = [{"impl": "lstm_lab LSTM", "B": 32, "H": 100, "dtype": "float32", "cps": 32 * 25 / 0.004},
            {"impl": "torch.nn.LSTM (eager, CPU)", "B": 32, "H": 100, "dtype": "float32",
             "cps": 32 * 25 / 0.002}]  # fmt: skip
    flops = step_gemm_flops(32, 100, 61)
    result = {"rows": rows, "V": 61, "torch": "2", "sgemm_gflops": flops / 1e9 / 0.001}  # floor: 1 ms
    text = "\n".join(floor_table({"best": result}))
    assert "| best | 32 | 100 | 4.00 | 2.00 | 1.00 | 0.50 |" in text


def test_the_laptop_configuration_really_changes_the_kernels_in_a_fresh_process():
    # The variables only act when set before numpy loads: the bench sets them for a subprocess.
    import os
    import subprocess
    import sys

    if "AVX2 laptop" not in configurations():
        pytest.skip("this CPU has no AVX-512: its best configuration already is the AVX2 one")
    code = "from bench.__main__ import blas_kernel, numpy_simd; print(blas_kernel(), '|', numpy_simd())"
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, **AVX2_LAPTOP}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root, env=env)
    kernel, simd = out.stdout.strip().split(" | ")
    assert "X86_V4" not in simd.split()
    if kernel != "?":  # threadpoolctl installed
        assert kernel == "Haswell"


def test_peak_memory_is_this_process_s_and_grows_with_an_allocation():
    # In a fresh process: a high-water mark in this one may already be above anything we add.
    import subprocess
    import sys

    code = (
        "import numpy as np; from bench.quality import peak_rss_bytes; before = peak_rss_bytes(); "
        "block = np.ones(50_000_000 // 8); print(before, peak_rss_bytes(), block.sum() > 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout.split()
    before, after = int(out[0]), int(out[1])
    assert 10e6 < before < 1e9
    assert after - before > 40e6


def test_torch_twin_computes_our_loss():
    torch = pytest.importorskip("torch", reason="PyTorch is optional; CI installs it")
    from bench.__main__ import H, torch_modules, torch_window_loss

    V, B = 11, 3
    model = LSTM(V, H, seed=2)
    model.b_f.value[...] = 0.3 * np.random.default_rng(1).standard_normal(H)  # every bias nonzero
    rng = np.random.default_rng(0)
    inputs, targets = rng.integers(0, V, (B, 25)), rng.integers(0, V, (B, 25))
    h0, C0 = 0.2 * rng.standard_normal((B, H)), 0.2 * rng.standard_normal((B, H))
    ours_loss, (h, C) = model.loss(inputs, targets, (h0, C0))
    lstm, linear = torch_modules(V, np.float64, model)
    state = (torch.from_numpy(h0)[None], torch.from_numpy(C0)[None])
    theirs, (th, tC) = torch_window_loss(lstm, linear, inputs, targets, state)
    assert float(theirs.detach()) == pytest.approx(ours_loss, rel=1e-12)
    np.testing.assert_allclose(th[0].detach().numpy(), h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tC[0].detach().numpy(), C, rtol=1e-10, atol=1e-12)


def test_quick_throughput_table_has_every_row_and_ratios():
    ids = np.random.default_rng(0).integers(0, 11, 6000)
    sizes = ((4, 8, "float32"), (2, 16, "float64"))  # small stand-ins for SIZES, same code path
    rows = throughput_table(ids, 11, quick=True, sizes=sizes)
    impls = {(r["impl"], r["B"], r["H"], r["dtype"]) for r in rows}
    assert ("lstm_lab LSTM", 4, 8, "float32") in impls and ("lstm_lab LSTM", 2, 16, "float64") in impls
    assert ("seed-style per-step LSTM", 1, 100, "float64") in impls
    assert rows[0]["vs_seed"] == pytest.approx(1.0) and all(r["cps"] > 0 for r in rows)
    ratios = [r["vs_torch"] for r in rows if r["impl"] == "lstm_lab LSTM"]
    assert all(v is None for v in ratios) or all(v > 0 for v in ratios)


def test_the_bench_measures_every_row_of_issue_17():
    wanted = {(B, H, "float32") for B in (32, 64) for H in (100, 256)} | {(64, 100, "float64")}
    assert wanted <= set(SIZES)


def test_lesson_7_trains_with_the_settings_the_benchmark_measures():
    """The README says lesson 7, section 6, trains the benchmark's model: the two must not drift."""
    import json

    from bench.quality import SETTINGS

    nb = json.loads((Path(__file__).resolve().parent.parent / "notebooks" / "07_lstm_training.ipynb").read_text())
    cell = next("".join(c["source"]) for c in nb["cells"] if "big_history = train(" in "".join(c["source"]))
    s = SETTINGS
    expected = [
        f"hidden_size={s['hidden_size']}", f"batch_size={s['batch_size']}", f"seq_length={s['seq_length']}",
        f"Adam(lr={s['lr']})", f"{s['lr']} * 0.5 ** (step / {s['lr_half_life']})", f"clip_value={s['clip_value']}",
        f"eval_every={s['eval_every']}", f"patience={s['patience']}", f"num_steps={s['max_steps']}",
    ]  # fmt: skip
    missing = [e for e in expected if e not in cell]
    assert not missing, f"lesson 7's section 6 no longer trains with bench.quality.SETTINGS: {missing}"


def test_pytorch_s_lstm_runs_onednn_and_the_laptop_configuration_puts_it_on_avx2():
    # PyTorch's float32 nn.LSTM runs oneDNN's RNN kernels, which keep AVX-512 unless
    # ONEDNN_MAX_CPU_ISA says otherwise: the laptop configuration must say so.
    pytest.importorskip("torch", reason="PyTorch is optional; CI installs it")
    import subprocess
    import sys

    if "AVX2 laptop" not in configurations():
        pytest.skip("this CPU has no AVX-512: its best configuration already is the AVX2 one")
    code = ("import torch; torch.set_num_threads(1); m = torch.nn.LSTM(5, 4, batch_first=True); "
            "out, _ = m(torch.randn(2, 3, 5)); out.sum().backward()")  # fmt: skip

    def onednn_log(changes: dict) -> str:
        env = environment({**changes, "ONEDNN_VERBOSE": "1"})
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env=env).stdout  # fmt: skip

    best, laptop = onednn_log(configurations()["best"]), onednn_log(configurations()["AVX2 laptop"])
    assert ",rnn," in best and ",rnn," in laptop  # the LSTM ran oneDNN's RNN primitive, both ways
    isa = [line for line in laptop.splitlines() if ",isa:" in line]
    assert isa and "AVX2" in isa[0] and "AVX-512" not in isa[0]
    assert "AVX-512" in next(line for line in best.splitlines() if ",isa:" in line)


def test_torch_kernels_times_every_setting_s_twin_step():
    torch = pytest.importorskip("torch", reason="PyTorch is optional; CI installs it")
    from bench.torch_kernels import SETTINGS, SIZES, worker

    assert SETTINGS["ONEDNN_MAX_CPU_ISA=AVX2"][0] == {"ONEDNN_MAX_CPU_ISA": "AVX2"}
    assert SETTINGS["the AVX2 laptop's PyTorch variables"][0] == TORCH_ON_AVX2
    assert SETTINGS["oneDNN off"][1] is False
    enabled, threads = torch.backends.mkldnn.enabled, torch.get_num_threads()
    try:
        rates = worker(onednn=False, quick=True)  # switches oneDNN off and PyTorch to one thread ...
    finally:
        torch.backends.mkldnn.enabled = enabled  # ... in this process, so put both back for the other tests
        torch.set_num_threads(threads)
    assert set(rates) == {f"{B},{H}" for B, H in SIZES} and all(r > 0 for r in rates.values())
