"""Mutation check: does the unit-test suite catch realistic one-line bugs?

Each mutant below is one small, plausible mistake in lstm_lab (a dropped term of a
gradient, a state that is not carried, a file written in place, ...): a file, the exact
original snippet, its replacement, and the unit-test files that cover that code. For each
mutant this script copies the package and its tests to a temporary folder (the working
tree is never touched), applies the one change there, and runs only those test files
(no notebooks). A mutant is *killed* when the tests fail, *survived* when they pass.

    python tools/mutants.py            # all mutants, two at a time; exit 1 unless all are killed
    python tools/mutants.py --list     # what would run
    python tools/mutants.py --only adagrad-sum-sq-not-squared clip-value-skipped

An original snippet that is not found exactly once in its file stops the run before any
mutant runs (exit 2): after a refactor that moved the code, the mutant must be updated,
never silently counted. The covering tests are first run once on the unchanged copy, so a
suite that already fails is reported as such and not as mutants killed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What a mutant's temporary tree holds: copied (the package may be mutated, tests are run) ...
COPIED = ("lstm_lab", "tests", "pyproject.toml")
#: ... and linked read-only (the corpus, for tests that read it).
LINKED = ("data",)
#: Unit tests only: stop at the first failure, no notebooks, no cache written into the copy.
PYTEST_ARGS = ("-x", "-q", "-p", "no:cacheprovider", "-p", "no:nbval", "-o", "addopts=")
TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Mutant:
    """One planted bug: in ``file``, ``original`` (found exactly once) becomes ``replacement``."""

    name: str
    file: str
    original: str
    replacement: str
    tests: tuple[str, ...]
    cores: int = 1  # the fewest cores on which the bug can change anything (and its tests see it)


@dataclass
class Result:
    mutant: Mutant
    status: str  # "killed", "survived" or "error"
    seconds: float
    detail: str = ""


class MutantError(RuntimeError):
    """A mutant cannot be applied (its snippet is missing or ambiguous) or its tests cannot run."""


# The files mutated, and the test files that cover them.
LSTM, RNN, TRAIN, BATCH = "lstm_lab/lstm.py", "lstm_lab/rnn.py", "lstm_lab/train.py", "lstm_lab/batching.py"
OPTIM, CHECKS, CKPT = "lstm_lab/optim.py", "lstm_lab/checks.py", "lstm_lab/checkpoint.py"
GRADCHECK, DATA, VOCAB = "lstm_lab/gradcheck.py", "lstm_lab/data.py", "lstm_lab/vocab.py"
SAMPLING, EXERCISES, WIDGETS = "lstm_lab/sampling.py", "lstm_lab/checking.py", "lstm_lab/widgets.py"
t_lstm, t_rnn, t_train = "tests/test_lstm.py", "tests/test_rnn.py", "tests/test_train.py"
t_batch, t_optim, t_ckpt = "tests/test_batching.py", "tests/test_optim.py", "tests/test_checkpoint.py"
t_bad, t_data, t_vocab = "tests/test_bad_input.py", "tests/test_data.py", "tests/test_vocab.py"
t_grad, t_sampling, t_ex = "tests/test_gradcheck.py", "tests/test_sampling.py", "tests/test_exercises.py"
t_model = "tests/test_model.py"
GRU, t_gru = "lstm_lab/gru.py", "tests/test_gru.py"
LAYERS, t_layers = "lstm_lab/layers.py", "tests/test_layers.py"


def _m(name: str, file: str, original: str, replacement: str, *tests: str, cores: int = 1) -> Mutant:
    return Mutant(name, file, original, replacement, tests, cores)


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def testable_here(mutants: Sequence[Mutant], cores: int, out=sys.stdout) -> list[Mutant]:
    """The mutants that can change anything on ``cores`` cores; says which are left out and why."""
    for m in mutants:
        if m.cores > cores:
            print(f"not run  {m.name}: needs {m.cores} cores to make a difference, this machine gives {cores}",
                  file=out)
    return [m for m in mutants if m.cores <= cores]


MUTANTS: tuple[Mutant, ...] = (
    # -- the LSTM, readable per-step backward (lstm_step_backward, lstm_backward)
    _m("lstm-step-dC-drops-the-highway", LSTM,
       "dC = dC_next + dh_next * o * dtanh(tanh_C)", "dC = dh_next * o * dtanh(tanh_C)", t_lstm),
    _m("lstm-step-dC_prev-uses-input-gate", LSTM, "dC_prev = dC * f", "dC_prev = dC * i", t_lstm),
    _m("lstm-step-forget-gate-tanh-derivative", LSTM, "da_f = df * dsigmoid(f)", "da_f = df * dtanh(f)", t_lstm),
    _m("lstm-step-dz-misses-output-gate", LSTM,
       'da_C @ p["W_C"].T + da_o @ p["W_o"].T', 'da_C @ p["W_C"].T', t_lstm),
    _m("lstm-bptt-drops-recurrent-gradient", LSTM,
       "lstm_step_backward(dh[:, t] + dh_next, dC_next, steps[t])", "lstm_step_backward(dh[:, t], dC_next, steps[t])",
       t_lstm),
    # -- the LSTM, fused backward (lstm_backward_fused)
    _m("output-rows-bias-gradient-not-summed", LAYERS,
       "np.sum(dlogits, axis=0, out=db_y)", "np.copyto(db_y, dlogits[0])", t_layers),
    _m("output-rows-dh-dropped", LAYERS, "np.matmul(dlogits, W_y.T, out=dh)", "dh.fill(0.0)", t_layers),
    _m("import-leaves-blas-threads-as-they-are", "lstm_lab/__init__.py",
       "_threadpool_limits(limits=1, user_api=\"blas\")", "_threadpool_limits(limits=None, user_api=\"blas\")",
       "tests/test_threads.py", cores=2),  # on one core OpenBLAS never starts a second thread
    _m("lstm-fused-training-skips-a-step-too-many", LSTM,
       "if t == 0 and not initial_state_grads:", "if t == 1 and not initial_state_grads:", t_lstm),
    _m("lstm-fused-highway-uses-input-gate", LSTM,
       "np.multiply(dC, f[t], out=dC_next)", "np.multiply(dC, i[t], out=dC_next)", t_lstm),
    _m("lstm-fused-forget-uses-C_t-not-C_t-1", LSTM,
       "G[1] *= Cs[:T]  # Cs[t] is C_{t-1}", "G[1] *= Cs[1:]  # Cs[t] is C_{t-1}", t_lstm),
    _m("lstm-fused-drops-dh-from-next-step", LSTM,
       "np.add(dh_tm[t], dh_next, out=dh_t)", "np.copyto(dh_t, dh_tm[t])", t_lstm),
    _m("lstm-fused-dC-forgets-dC_next", LSTM, "        dC += dC_next\n", "        dC += 0.0\n", t_lstm),
    # -- the GRU: readable step backward, fused forward and backward, the model's carried state
    _m("gru-step-dh_prev-drops-the-highway", GRU, "dh_prev = dh_next * z\n", "dh_prev = 0.0 * dh_next\n", t_gru),
    _m("gru-step-dhn-ignores-the-reset-gate", GRU, "dhn = da_n * r  # the reset", "dhn = da_n  # the reset", t_gru),
    _m("gru-fused-candidate-drops-b_hn", GRU, "np.add(hW[2], b_hn, out=hn[t])", "np.copyto(hn[t], hW[2])", t_gru),
    _m("gru-fused-drops-dh-from-next-step", GRU,
       "np.add(dh_tm[t], dh_next, out=dh_t)", "np.copyto(dh_t, dh_tm[t])", t_gru),
    _m("gru-fused-drops-the-highway", GRU,
       "dh_next += dh_t  # plus the highway", "dh_next += 0.0 * dh_t  # plus the highway", t_gru),
    _m("gru-loss-returns-the-initial-state", GRU,
       'return loss, gru_cache["hs"][T].copy()', 'return loss, gru_cache["hs"][0].copy()', t_gru),
    # -- the vanilla RNN
    _m("rnn-step-skips-tanh-derivative", RNN, "dz = dh_next * dtanh(h_next)", "dz = dh_next", t_rnn),
    _m("rnn-step-dh_prev-untransposed", RNN, "dh_prev = dz @ W_hh.T", "dh_prev = dz @ W_hh", t_rnn),
    _m("rnn-step-dW_hh-from-h_next", RNN, "dW_hh = h_prev.T @ dz", "dW_hh = h_next.T @ dz", t_rnn),
    _m("rnn-bptt-drops-recurrent-gradient", RNN,
       "rnn_step_backward(dh[:, t] + dh_recurrent, cache[t])", "rnn_step_backward(dh[:, t], cache[t])", t_rnn),
    # -- the model protocol: the analyses' step-by-step gradients, the shared state check
    _m("rnn-state-gradients-skip-the-recurrence", RNN,
       "_, dh_t, _, _, _ = rnn_step_backward(dh_t, step_cache)", "pass", t_model),
    _m("lstm-state-gradients-drop-the-cell", LSTM,
       "_, dh_t, dC_t, _ = lstm_step_backward(dh_t, dC_t, step_cache)",
       "_, dh_t, _, _ = lstm_step_backward(dh_t, dC_t, step_cache)", t_model),
    _m("model-state-shape-not-checked", CHECKS, "        if arr.shape != expected:\n", "        if False:\n",
       t_rnn, t_lstm),
    # -- optimisers, and their all-or-nothing step
    _m("sgd-ignores-learning-rate", OPTIM, "p.value - self.lr * p.grad, {}", "p.value - p.grad, {}", t_optim),
    _m("adagrad-sum-sq-not-squared", OPTIM, 'p.state.get("sum_sq", 0.0) + p.grad * p.grad',
       'p.state.get("sum_sq", 0.0) + p.grad', t_optim),
    _m("adagrad-no-eps", OPTIM, "np.sqrt(sum_sq + self.eps)", "np.sqrt(sum_sq)", t_optim),
    _m("adam-no-bias-correction-of-m", OPTIM, "m_hat = m / (1.0 - self.beta1**t)", "m_hat = m", t_optim),
    _m("adam-v-not-squared", OPTIM,
       "(1.0 - self.beta2) * p.grad * p.grad", "(1.0 - self.beta2) * p.grad", t_optim),
    _m("adagrad-commits-each-parameter-at-once", OPTIM,
       'updates.append((p, value, {"sum_sq": sum_sq}))', '_commit([(p, value, {"sum_sq": sum_sq})])', t_optim, t_bad),
    # -- clipping
    _m("clip-by-value-one-sided", OPTIM, "np.clip(p.grad, -limit, limit, out=p.grad)",
       "np.clip(p.grad, None, limit, out=p.grad)", t_optim, t_train),
    _m("clip-by-norm-inverted-test", OPTIM, "norm > max_norm:", "norm < max_norm:", t_optim, t_train),
    _m("clip-by-norm-inverted-scale", OPTIM, "scale = max_norm / norm", "scale = norm / max_norm", t_optim, t_train),
    # -- train: clipping, state handling, losses, early stopping, the divergence guard, input checks
    _m("train-clip-value-skipped", TRAIN, "clip_by_value(model.params, s.clip_value)", "None", t_train),
    _m("train-state-not-carried", TRAIN, "run.done, run.state = step, next_state", "run.done = step", t_train),
    _m("train-state-not-reset-on-a-new-pass", TRAIN,
       "run.state = model.initial_state(s.batch_size)  # the streams start over", "pass", t_train),
    _m("evaluate-loss-wrong-weights", TRAIN,
       "total += loss * inputs.shape[0]", "total += loss * inputs.shape[1]", t_train),
    _m("train-loss-not-per-character", TRAIN, "run.loss_sum += loss / s.seq_length", "run.loss_sum += loss", t_train),
    _m("early-stopping-one-evaluation-late", TRAIN, "run.since_best >= s.patience", "run.since_best > s.patience",
       t_train),
    _m("early-stopping-never-resets", TRAIN,
       "run.since_best = 0 if improved else run.since_best + 1", "run.since_best = run.since_best + 1", t_train),
    _m("divergence-guard-off", TRAIN, "if finite and run.steps_far_above < DIVERGED_STEPS:", "if finite:", t_bad),
    _m("divergence-guard-counts-steps-not-in-a-row", TRAIN, "if loss / s.seq_length > run.far_above else 0",
       "if loss / s.seq_length > run.far_above else run.steps_far_above", t_bad),
    _m("train-no-finite-parameter-check", TRAIN, "check_finite_params(model.params)", "None", t_bad),
    _m("ids-range-check-misses-id-V", CHECKS,
       "bad = np.flatnonzero((arr < 0) | (arr >= vocab_size))", "bad = np.flatnonzero((arr < 0) | (arr > vocab_size))",
       t_bad),
    _m("str-ids-not-recognised", CHECKS, "if isinstance(ids, (str, bytes)):", "if False:", t_bad),
    _m("model-ids-accept-negative", CHECKS,
       "bad = (arr < 0) | (arr >= vocab_size)", "bad = arr >= vocab_size", t_bad, t_rnn, t_lstm),
    # -- batching
    _m("streams-interleaved", BATCH,
       "arr[: B * L].reshape(B, L).copy()", "arr[: B * L].reshape(L, B).T.copy()", t_batch),
    _m("targets-not-shifted", BATCH, "targets = streams[:, k * T + 1 : (k + 1) * T + 1]",
       "targets = streams[:, k * T : (k + 1) * T]", t_batch),
    _m("num-windows-forgets-the-last-target", BATCH,
       "max(int(stream_length) - 1, 0) // T", "max(int(stream_length), 0) // T", t_batch),
    _m("validation-split-takes-the-start", BATCH, "return arr[:n_train].copy(), arr[n_train:].copy()",
       "return arr[n_val:].copy(), arr[:n_val].copy()", t_batch),
    # -- sampling
    _m("temperature-multiplies", SAMPLING, "np.exp(shifted / t)", "np.exp(shifted * t)", t_sampling),
    _m("softmax-not-shifted", SAMPLING,
       "shifted = shifted - shifted.max(axis=-1, keepdims=True)", "shifted = shifted", t_sampling),
    _m("sample-state-not-carried", SAMPLING, "logits, state = model.step(out[k : k + 1], state)",
       "logits, _ = model.step(out[k : k + 1], state)", t_sampling),
    # -- vocabulary
    _m("vocab-not-sorted", VOCAB,
       "self.symbols: list[str] = sorted(unique)", "self.symbols: list[str] = list(unique)", t_vocab),
    _m("decode-words-without-spaces", VOCAB, 'return ("" if self.kind == "char" else " ").join', 'return "".join',
       t_vocab, "tests/test_words.py"),
    _m("decode-accepts-id-V", VOCAB, "(arr < 0) | (arr >= self.size)", "(arr < 0) | (arr > self.size)", t_vocab),
    _m("tokenize-keeps-spaces", VOCAB, "        if not ch.isspace():\n", "        if True:\n",
       "tests/test_words.py", t_vocab),
    # -- corpus cleaning and reading text
    _m("newlines-keep-old-mac-cr", DATA,
       '.replace("\\r\\n", "\\n").replace("\\r", "\\n")', '.replace("\\r\\n", "\\n")', t_data),
    _m("gutenberg-keeps-the-start-marker", DATA,
       "text[start.end() : end.start()]", "text[start.start() : end.start()]", t_data),
    _m("gutenberg-keeps-the-end-note", DATA,
       "if len(paragraphs) == 2 and _END_NOTE.match", "if False and _END_NOTE.match", t_data),
    _m("utf16-guess-wrong-byte-order", DATA, 'return "utf-16-le"', 'return "utf-16-be"', t_data, t_bad),
    # -- checkpoints: safety and atomicity
    # The archive goes straight to the target (the survivor): a write that fails halfway damages it.
    _m("checkpoint-written-in-place", CKPT, "np.savez(f, **arrays)",
       "np.savez(path, **arrays); f.close(); tmp.unlink(); return path", t_ckpt),
    _m("checkpoint-loads-pickles", CKPT,
       "np.load(path, allow_pickle=False) as npz", "np.load(path, allow_pickle=True) as npz", t_ckpt),
    _m("checkpoint-accepts-older-versions", CKPT,
       "    if version != VERSION:\n", "    if version > VERSION:\n", t_ckpt),
    _m("checkpoint-forgets-optimiser-memory", CKPT,
       'arrays[f"memory/{p.name}/{key}"] = np.asarray(memory)', "pass", t_ckpt),
    _m("checkpoint-folder-check-off", CKPT, "if blocker is not None and not blocker.is_dir():", "if False:", t_bad),
    # -- gradient checking
    _m("gradcheck-ignores-tolerance", GRADCHECK, "all(row.max_rel_error < self.tolerance for row in self.rows)",
       "all(row.max_rel_error < DEFAULT_TOLERANCE for row in self.rows)", t_grad),
    _m("gradcheck-drops-the-tolerance-argument", GRADCHECK,
       'tolerance = check_positive_float("tolerance", tolerance, "1e-6")', "tolerance = DEFAULT_TOLERANCE", t_grad),
    _m("gradcheck-one-sided-difference", GRADCHECK,
       "return (f_plus - f_minus) / (2.0 * h)", "return (f_plus - f_minus) / h", t_grad),
    _m("gradcheck-passes-if-any-row-passes", GRADCHECK,
       "and all(row.max_rel_error < self.tolerance", "and any(row.max_rel_error < self.tolerance", t_grad),
    # -- the exercise checkers and the playground
    _m("checker-passes-everything", EXERCISES,
       "        if problem is None:\n            continue", "        if True:\n            continue", t_ex),
    _m("checker-names-a-mistake-that-does-not-match", EXERCISES,
       "if _compare(learner.on(index, args), mistake.on(index, args), names, rtol, atol) is not None:",
       "if _compare(learner.on(index, args), mistake.on(index, args), names, rtol, atol) is None:", t_ex),
    _m("playground-clip-nan-switches-clipping-off", WIDGETS,
       "not (math.isfinite(clip) and clip >= 0)", "clip < 0", t_bad),
)


# ------------------------------------------------------------------------------ applying


def mutated_source(source: str, mutant: Mutant) -> str:
    """``source`` with the mutant's one change; MutantError unless its snippet occurs exactly once."""
    count = source.count(mutant.original)
    if count != 1:
        where = "not found" if count == 0 else f"found {count} times (it must be unique)"
        raise MutantError(
            f"mutant {mutant.name}: the original snippet {mutant.original!r} is {where} in {mutant.file}. "
            "The code moved or changed: update this mutant in tools/mutants.py."
        )
    return source.replace(mutant.original, mutant.replacement)


def check_mutants(mutants: Sequence[Mutant], root: Path) -> None:
    """Raise MutantError for the first mutant that cannot be applied or names a missing test file."""
    names = [m.name for m in mutants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise MutantError(f"mutant names must be unique; repeated: {', '.join(duplicates)}.")
    for m in mutants:
        path = root / m.file
        if not path.is_file():
            raise MutantError(f"mutant {m.name}: no file {m.file} under {root}.")
        mutated_source(path.read_text(encoding="utf-8"), m)
        if m.original == m.replacement:
            raise MutantError(f"mutant {m.name}: the replacement is the original.")
        if not m.tests:
            raise MutantError(f"mutant {m.name}: names no test file to run.")
        for test in m.tests:
            if not (root / test).is_file():
                raise MutantError(f"mutant {m.name}: its test file {test} does not exist.")


def copy_tree(root: Path, dest: Path, copied: Sequence[str] = COPIED, linked: Sequence[str] = LINKED) -> None:
    """The parts of ``root`` a test run needs, in ``dest`` (without caches)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")
    for part in copied:
        src = root / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, dest / part)
    for part in linked:
        if (root / part).exists():
            (dest / part).symlink_to(root / part)


def _env(tree: Path) -> dict[str, str]:
    # The copy first on the path, so its package is imported, not the installed (editable) one.
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}


def check_imports_the_copy(root: Path, copied: Sequence[str], linked: Sequence[str], package: str) -> None:
    """MutantError unless a test run in a copy of ``root`` imports ``package`` from that copy."""
    with tempfile.TemporaryDirectory(prefix="mutant-probe-") as tmp:
        tree = Path(tmp)
        copy_tree(root, tree, copied, linked)
        probe = subprocess.run([sys.executable, "-c", f"import {package}; print({package}.__file__)"], cwd=tree,
                               env=_env(tree), capture_output=True, text=True)
        imported = Path(probe.stdout.strip() or "?").resolve()
        if probe.returncode != 0 or tree.resolve() not in imported.parents:
            raise MutantError(f"a test run would import {package} from {imported}, not from the copy in {tree}: "
                              f"{probe.stderr.strip()[-300:]}")


def run_tests(tree: Path, tests: Sequence[str], timeout: float) -> tuple[int | None, str]:
    """pytest on ``tests`` inside ``tree``, importing the package from there: (exit code or None on timeout, tail)."""
    env = _env(tree)
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", *tests, *PYTEST_ARGS], cwd=tree, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s"
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return done.returncode, "\n".join(lines[-3:])


def _status(code: int | None) -> str:
    # pytest: 0 all passed, 1 a test failed, 2 collection error (e.g. the mutant broke an import),
    # 3 internal error, 4 usage error, 5 no tests collected. Only 0 and 1/2/timeout are verdicts.
    if code == 0:
        return "survived"
    if code in (1, 2) or code is None:
        return "killed"
    return "error"


def run_mutant(mutant: Mutant, root: Path, *, timeout: float = TIMEOUT_SECONDS, copied: Sequence[str] = COPIED,
               linked: Sequence[str] = LINKED) -> Result:
    """Apply ``mutant`` to a fresh temporary copy of ``root`` and run its tests there."""
    tic = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        tree = Path(tmp)
        copy_tree(root, tree, copied, linked)
        target = tree / mutant.file
        target.write_text(mutated_source(target.read_text(encoding="utf-8"), mutant), encoding="utf-8")
        code, tail = run_tests(tree, mutant.tests, timeout)
    return Result(mutant, _status(code), time.perf_counter() - tic, tail)


def run_baseline(tests: Sequence[str], root: Path, *, jobs: int, timeout: float, copied: Sequence[str] = COPIED,
                 linked: Sequence[str] = LINKED) -> list[str]:
    """Run every covering test file on an unchanged copy; return the failures (empty: all pass)."""
    groups = [list(tests[k::jobs]) for k in range(jobs) if tests[k::jobs]]

    def one(group: list[str]) -> str | None:
        with tempfile.TemporaryDirectory(prefix="mutant-baseline-") as tmp:
            copy_tree(root, Path(tmp), copied, linked)
            code, tail = run_tests(Path(tmp), group, timeout)
        return None if code == 0 else f"{' '.join(group)}: exit {code}\n{tail}"

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return [f for f in pool.map(one, groups) if f is not None]


def run_all(mutants: Sequence[Mutant], root: Path, *, jobs: int = 2, timeout: float = TIMEOUT_SECONDS,
            baseline: bool = True, copied: Sequence[str] = COPIED, linked: Sequence[str] = LINKED,
            package: str = "lstm_lab", out=sys.stdout) -> int:
    """Check, run and report ``mutants``; the exit status: 0 all killed, 1 a survivor or error, 2 unusable."""
    tic = time.perf_counter()
    try:
        check_mutants(mutants, root)
        check_imports_the_copy(root, copied, linked, package)
    except MutantError as err:
        print(f"mutants: {err}", file=out)
        return 2
    kwargs = {"timeout": timeout, "copied": copied, "linked": linked}
    if baseline:
        tests = sorted({t for m in mutants for t in m.tests})
        failures = run_baseline(tests, root, jobs=jobs, **kwargs)
        if failures:
            print("mutants: the covering tests fail WITHOUT any mutant, so nothing can be measured:", file=out)
            for f in failures:
                print(f"  {f}", file=out)
            return 2
        print(f"baseline: {len(tests)} test files pass unmutated ({time.perf_counter() - tic:.0f} s)", file=out)
    width = max(len(m.name) for m in mutants)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = []
        for r in pool.map(lambda m: run_mutant(m, root, **kwargs), mutants):
            results.append(r)
            line = f"{r.status:<8} {r.mutant.name:<{width}}  {r.mutant.file:<24} {r.seconds:5.1f} s"
            print(line, file=out, flush=True)
    killed = sum(r.status == "killed" for r in results)
    bad = [r for r in results if r.status != "killed"]
    for r in bad:
        print(f"\n{r.status.upper()}: {r.mutant.name} ({r.mutant.file}: {r.mutant.original!r} -> "
              f"{r.mutant.replacement!r}); tests {' '.join(r.mutant.tests)}\n{r.detail}", file=out)
    files = len({m.file for m in mutants})
    print(f"\nkill rate: {killed}/{len(results)} = {100 * killed / len(results):.0f}% of mutants over {files} files, "
          f"{time.perf_counter() - tic:.0f} s with {jobs} jobs", file=out)
    return 0 if not bad else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at the same time (default 2)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--no-baseline", action="store_true", help="skip running the tests on the unchanged tree")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS, help="seconds per test run")
    args = parser.parse_args(argv)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # Started in the background by a shell, which ignores Ctrl-C for it: the test runs would
        # inherit that, and tests of train's Ctrl-C handling see an ignored SIGINT. Catching it
        # here gives them the usual default, as in a terminal (caught handlers reset at exec).
        signal.signal(signal.SIGINT, signal.default_int_handler)
    mutants = list(MUTANTS)
    if args.only:
        unknown = sorted(set(args.only) - {m.name for m in mutants})
        if unknown:
            parser.error(f"no mutant named {', '.join(unknown)} (see --list)")
        mutants = [m for m in mutants if m.name in args.only]
    if args.list:
        for m in mutants:
            print(f"{m.name:<44} {m.file:<24} {' '.join(m.tests)}")
        return 0
    mutants = testable_here(mutants, available_cores())
    if not mutants:
        print("mutants: none of the chosen mutants can make a difference on this machine")
        return 0
    return run_all(mutants, ROOT, jobs=max(1, args.jobs), timeout=args.timeout, baseline=not args.no_baseline)


if __name__ == "__main__":
    sys.exit(main())
