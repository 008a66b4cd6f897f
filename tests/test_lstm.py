"""The LSTM: step and sequence passes, the fused fast path, gradients, and the character model."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_lab.gradcheck import numerical_gradient, numerical_gradient_array, relative_error
from lstm_lab.layers import one_hot
from lstm_lab.lstm import (
    GATE_PARAM_NAMES,
    LSTM,
    PARAM_NAMES,
    gate_activations,
    lstm_backward,
    lstm_backward_fused,
    lstm_forward,
    lstm_forward_fused,
    lstm_step_forward,
    split_gates,
    stack_gates,
)
from lstm_lab.optim import Adagrad, clip_by_value
from lstm_lab.vocab import Vocabulary

INITS = ["forget_bias", "seed"]

# Written for this test: about 3000 characters of plain English (39 distinct characters).
ENGLISH = (
    "The lighthouse stood at the end of a long spit of sand, and the keeper climbed its stairs "
    "twice a day. In the morning he wound the clock that turned the lamp, and in the evening he "
    "trimmed the wick and polished the glass until it shone. He kept a small notebook in which he "
    "wrote the weather, the ships that passed, and the birds that rested on the rail. Most days "
    "there was little to write. The wind came from the west, the sea was grey, and the gulls "
    "argued over a fish. On other days the notebook filled quickly. A storm would rise in the "
    "afternoon, the rain would run sideways across the windows, and the keeper would stand by the "
    "lamp all night, watching for lights on the water. He liked those nights more than he would "
    "admit. There was a kind of order in them: the lamp turned, the clock ticked, the waves broke "
    "on the rocks, and every few minutes the beam swept over the dark and came back again. "
    "In the spring his sister wrote to ask whether he was lonely. He read the letter at the "
    "kitchen table and thought about it for a long time before he answered. He was not lonely, he "
    "wrote, though he was often alone. The sea was good company if you did not ask too much of "
    "it. The birds came and went. The boats from the village brought bread and oil and news, and "
    "the boatmen stayed for tea when the tide allowed. In the summer children walked out along "
    "the sand to see the lamp, and he let them climb the stairs and look through the great glass, "
    "which made the far shore seem close enough to touch. They always asked the same questions. "
    "How far can the light be seen? What happens if it goes out? Do you ever get tired of the "
    "stairs? He gave them the same answers, because they were true: farther than you can sail "
    "in an hour; it does not go out; every day, and every day I climb them anyway. "
    "In the autumn the days grew short and the work grew long. The lamp burned for fourteen "
    "hours, then fifteen, then sixteen. The keeper slept in the afternoons and woke before dark "
    "to light the wick. He mended the shutters, oiled the gears, and carried the heavy cans of "
    "oil up the stairs one at a time, resting on the landings to look out at the water. When the "
    "first snow came he watched it fall into the sea without a sound, and he wrote in his "
    "notebook that the world was very quiet that night, and that the lamp had never looked so "
    "bright. His sister wrote again in the winter. She said the town was busy and loud, that the "
    "streets were full of carts and the shops were full of people, and that she sometimes wished "
    "for a week of quiet by the sea. He wrote back that she was welcome to come, and that she "
    "should bring warm boots, because the sand was cold and the stairs were many. She came in the "
    "new year, stayed for a month, and climbed the stairs with him every evening. On her last "
    "night she asked him what he thought about while the lamp turned. He said that mostly he "
    "thought about the ships, and the people on them, who would never know his name but would "
    "see the light and know where the rocks were. That seemed to him a good thing to be for "
    "someone: a light at the edge of the dark, turning and turning, always there."
)


def random_gate_params(D: int, H: int, rng: np.random.Generator, dtype=np.float64) -> dict[str, np.ndarray]:
    p = {}
    for g in "fiCo":
        p[f"W_{g}"] = (0.5 * rng.standard_normal((D + H, H))).astype(dtype)
        p[f"b_{g}"] = (0.5 * rng.standard_normal(H)).astype(dtype)
    return p


def random_problem(model: LSTM, B: int, T: int, seed: int, state: str = "random"):
    rng = np.random.default_rng(seed)
    V, H = model.vocab_size, model.hidden_size
    x = rng.integers(0, V, (B, T))
    y = rng.integers(0, V, (B, T))
    if state == "zero":
        s0 = model.initial_state(B)
    else:  # a nonzero state also exercises the paths into h0 and C0
        s0 = (rng.uniform(-1, 1, (B, H)), rng.uniform(-1, 1, (B, H)))
    return x, y, s0


# ----------------------------------------------------------------------------------------------
# Gradient checks
# ----------------------------------------------------------------------------------------------


def max_errors(model: LSTM, x, y, s0, *, step: float, floor: float, num_checks: int | None, seed: int = 0):
    """Per parameter, the largest relative error between Param.grad and centred differences.

    The relative error is |a - n| / max(floor, |a| + |n|) (gradcheck.relative_error with
    tiny=floor). Why a floor: a centred difference cannot resolve slopes finer than about
    ulp(loss) / (2 step) (~1e-11 here: the loss is ~8 at the small size, ~100 at the
    realistic one), so an entry whose true gradient happens to be ~1e-7 would show a
    relative error ~1e-4 even when the backward pass is exact. With the floor, such entries
    must instead agree to floor * tolerance in absolute terms; entries above the floor are
    judged by the plain relative error.
    """
    model.loss(x, y, s0)  # fills every Param.grad
    rng = np.random.default_rng(seed)
    errors, plain = {}, {}
    for p in model.params:
        analytic = p.grad.copy()
        if num_checks is None:
            indices = list(np.ndindex(p.shape))
        else:
            flat = rng.choice(p.value.size, size=num_checks, replace=False)
            indices = [np.unravel_index(k, p.shape) for k in flat]
        a = np.array([analytic[i] for i in indices])
        n = np.array([numerical_gradient(lambda: model.evaluate(x, y, s0)[0], p.value, i, step) for i in indices])
        errors[p.name] = float(relative_error(a, n, tiny=floor).max())
        plain[p.name] = float(relative_error(a, n).max())
    return errors, plain


# Small size, every entry: step 1e-4, floor 1e-3, tolerance 1e-6. Measured worst over 8 seeds:
# 1.8e-7 (forget_bias), 1.3e-7 (seed).
@pytest.mark.parametrize("init", INITS)
def test_gradient_check_every_entry_small(init):
    model = LSTM(5, 4, init=init, seed=1)
    x, y, s0 = random_problem(model, B=2, T=5, seed=2)
    errors, plain = max_errors(model, x, y, s0, step=1e-4, floor=1e-3, num_checks=None)
    assert max(errors.values()) < 1e-6, (errors, plain)


# Realistic size (H=100, V=63, T=25, B=1), 20 random entries per parameter: step 1e-5 (with
# the "seed" init the saturated gates make the loss so curved that step 1e-4 has truncation
# errors ~1e-5), floor 1e-3, tolerance 1e-5. Measured worst over 8 seeds: 1.7e-6.
@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("state", ["zero", "random"])
def test_gradient_check_sampled_realistic(init, state):
    model = LSTM(63, 100, init=init, seed=3)
    x, y, s0 = random_problem(model, B=1, T=25, seed=4, state=state)
    errors, plain = max_errors(model, x, y, s0, step=1e-5, floor=1e-3, num_checks=20, seed=5)
    assert max(errors.values()) < 1e-5, (errors, plain)


def test_lstm_backward_numerically_including_inputs_and_initial_state():
    rng = np.random.default_rng(0)
    B, T, D, H = 2, 4, 3, 5
    x = rng.standard_normal((B, T, D))
    h0, C0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    p = random_gate_params(D, H, rng)
    # A loss that reads every h_t and the final C directly: L = sum(h * R) + sum(C_T * R_C).
    R, R_C = rng.standard_normal((B, T, H)), rng.standard_normal((B, H))

    def loss():
        h, cache = lstm_forward(x, h0, C0, p)
        return float(np.sum(h * R) + np.sum(cache.C_T * R_C))

    _, cache = lstm_forward(x, h0, C0, p)
    dx, dh0, dC0, grads = lstm_backward(R, cache, dC_T=R_C)
    checks = {"x": (dx, x), "h0": (dh0, h0), "C0": (dC0, C0)}
    checks.update({name: (grads[name], p[name]) for name in GATE_PARAM_NAMES})
    for name, (analytic, array) in checks.items():
        numeric = numerical_gradient_array(loss, array)
        err = relative_error(analytic, numeric, tiny=1e-3).max()
        assert err < 1e-7, f"{name}: {err:.2e}"


# ----------------------------------------------------------------------------------------------
# The pieces agree with each other
# ----------------------------------------------------------------------------------------------


def test_lstm_forward_equals_looping_the_step():
    rng = np.random.default_rng(1)
    B, T, D, H = 3, 6, 4, 5
    x = rng.standard_normal((B, T, D))
    h_prev, C_prev = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    p = random_gate_params(D, H, rng)
    h, cache = lstm_forward(x, h_prev, C_prev, p)
    for t in range(T):
        h_prev, C_prev, _ = lstm_step_forward(x[:, t], h_prev, C_prev, p)
        np.testing.assert_array_equal(h[:, t], h_prev)
    np.testing.assert_array_equal(cache.C_T, C_prev)


def test_step_forward_follows_the_equations():
    rng = np.random.default_rng(2)
    B, D, H = 2, 3, 4
    x, h_prev, C_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    p = random_gate_params(D, H, rng)
    h_next, C_next, cache = lstm_step_forward(x, h_prev, C_prev, p)

    def sig(a):
        return 1 / (1 + np.exp(-a))

    z = np.hstack([x, h_prev])  # x first, then h_prev
    f, i = sig(z @ p["W_f"] + p["b_f"]), sig(z @ p["W_i"] + p["b_i"])
    C_tilde, o = np.tanh(z @ p["W_C"] + p["b_C"]), sig(z @ p["W_o"] + p["b_o"])
    np.testing.assert_allclose(C_next, f * C_prev + i * C_tilde, rtol=1e-13)
    np.testing.assert_allclose(h_next, o * np.tanh(f * C_prev + i * C_tilde), rtol=1e-13)
    np.testing.assert_allclose(cache.tanh_C, np.tanh(C_next), rtol=1e-13)
    np.testing.assert_array_equal(cache.z[:, :D], x)


def test_stack_and_split_gates_round_trip():
    p = random_gate_params(3, 4, np.random.default_rng(3))
    W, b = stack_gates(p)
    assert W.shape == (7, 16) and b.shape == (16,)
    back = split_gates(W, b)
    for name in GATE_PARAM_NAMES:
        np.testing.assert_array_equal(back[name], p[name])


@pytest.mark.parametrize("inputs", ["ids", "dense"])
def test_fused_equals_unfused_forward_and_backward(inputs):
    rng = np.random.default_rng(4)
    B, T, V, H = 3, 7, 6, 5
    ids = rng.integers(0, V, (B, T))
    x_dense = rng.standard_normal((B, T, V)) if inputs == "dense" else one_hot(ids, V)
    x_fused = ids if inputs == "ids" else x_dense
    h0, C0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    p = random_gate_params(V, H, rng)
    dh, dC_T = rng.standard_normal((B, T, H)), rng.standard_normal((B, H))

    h_ref, cache_ref = lstm_forward(x_dense, h0, C0, p)
    dx_ref, dh0_ref, dC0_ref, grads_ref = lstm_backward(dh, cache_ref, dC_T=dC_T)

    W, b = stack_gates(p)
    h, cache = lstm_forward_fused(x_fused, h0, C0, W, b)
    dx, dh0, dC0, dW, db = lstm_backward_fused(dh, cache, dC_T=dC_T)

    tol = {"rtol": 1e-12, "atol": 1e-12}
    np.testing.assert_allclose(h, h_ref, **tol)
    np.testing.assert_allclose(cache["C_T"], cache_ref.C_T, **tol)
    np.testing.assert_allclose(dh0, dh0_ref, **tol)
    np.testing.assert_allclose(dC0, dC0_ref, **tol)
    grads = split_gates(dW, db)
    for name in GATE_PARAM_NAMES:
        np.testing.assert_allclose(grads[name], grads_ref[name], **tol, err_msg=name)
    if inputs == "ids":
        assert dx is None  # ids have no gradient
    else:
        np.testing.assert_allclose(dx, dx_ref, **tol)


def test_fused_float32_keeps_dtype_and_agrees_with_float64():
    rng = np.random.default_rng(5)
    B, T, V, H = 4, 10, 8, 6
    ids = rng.integers(0, V, (B, T))
    p64 = random_gate_params(V, H, rng)
    W64, b64 = stack_gates(p64)
    W32, b32 = W64.astype(np.float32), b64.astype(np.float32)
    z32 = np.zeros((B, H), np.float32)
    dh = rng.standard_normal((B, T, H))

    h32, cache32 = lstm_forward_fused(ids, z32, z32, W32, b32)
    _, dh0, dC0, dW32, db32 = lstm_backward_fused(dh.astype(np.float32), cache32)
    for arr in (h32, cache32["C_T"], dh0, dC0, dW32, db32):
        assert arr.dtype == np.float32

    h64, cache64 = lstm_forward_fused(ids, z32.astype(np.float64), z32.astype(np.float64), W64, b64)
    _, _, _, dW64, _ = lstm_backward_fused(dh, cache64)
    np.testing.assert_allclose(h32, h64, atol=1e-5)
    np.testing.assert_allclose(dW32, dW64, atol=1e-4)


def test_model_float32_end_to_end():
    m32 = LSTM(7, 5, seed=0, dtype=np.float32)
    m64 = LSTM(7, 5, seed=0)
    x, y, _ = random_problem(m64, B=3, T=8, seed=6)
    loss32, (h32, C32) = m32.loss(x, y, m32.initial_state(3))
    loss64, _ = m64.loss(x, y, m64.initial_state(3))
    assert h32.dtype == C32.dtype == np.float32
    assert all(p.value.dtype == p.grad.dtype == np.float32 for p in m32.params)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for p32, p64 in zip(m32.params, m64.params, strict=True):
        np.testing.assert_allclose(p32.grad, p64.grad, atol=1e-5, err_msg=p32.name)
    logits, (h, C) = m32.step(x[:, 0], m32.initial_state(3))
    assert logits.dtype == h.dtype == C.dtype == np.float32


# ----------------------------------------------------------------------------------------------
# The model protocol
# ----------------------------------------------------------------------------------------------


def test_params_order_shapes_and_attributes():
    model = LSTM(6, 4)
    assert [p.name for p in model.params] == list(PARAM_NAMES)
    assert [p.name for p in model.params] == ["W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o", "W_y", "b_y"]
    for p in model.params:
        assert getattr(model, p.name) is p
    for g in "fiCo":
        assert getattr(model, f"W_{g}").shape == (6 + 4, 4)
        assert getattr(model, f"b_{g}").shape == (4,)
    assert model.W_y.shape == (4, 6) and model.b_y.shape == (6,)
    h, C = model.initial_state(3)
    assert h.shape == C.shape == (3, 4) and not h.any() and not C.any()


def test_loss_overwrites_grads_and_evaluate_leaves_them_alone():
    model = LSTM(5, 4, seed=0)
    x, y, s0 = random_problem(model, B=2, T=6, seed=7)
    s0_copy = (s0[0].copy(), s0[1].copy())
    loss, state = model.loss(x, y, s0)
    first = [p.grad.copy() for p in model.params]
    loss_again, _ = model.loss(x, y, s0)  # a second call must not accumulate
    assert loss_again == loss
    for p, g in zip(model.params, first, strict=True):
        np.testing.assert_array_equal(p.grad, g)
    for p in model.params:
        p.grad[...] = 7.0
    eval_loss, eval_state = model.evaluate(x, y, s0)
    assert eval_loss == pytest.approx(loss, rel=1e-14)
    assert all((p.grad == 7.0).all() for p in model.params)
    np.testing.assert_array_equal(eval_state[0], state[0])
    np.testing.assert_array_equal(eval_state[1], state[1])
    # the state passed in is not modified, and the returned one is a copy (not a view of the cache)
    np.testing.assert_array_equal(s0[0], s0_copy[0])
    np.testing.assert_array_equal(s0[1], s0_copy[1])
    assert state[0].base is None and state[1].base is None


def test_state_carried_across_windows_equals_one_long_forward():
    model = LSTM(6, 5, seed=1)
    rng = np.random.default_rng(8)
    B, T = 3, 12
    x, y = rng.integers(0, 6, (B, T)), rng.integers(0, 6, (B, T))
    s0 = model.initial_state(B)
    whole, (h_whole, C_whole) = model.evaluate(x, y, s0)
    first, state = model.loss(x[:, :5], y[:, :5], s0)
    second, (h_two, C_two) = model.loss(x[:, 5:], y[:, 5:], state)
    assert first + second == pytest.approx(whole, rel=1e-13)
    np.testing.assert_allclose(h_two, h_whole, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(C_two, C_whole, rtol=1e-13, atol=1e-15)

    # step() (the readable cell, one symbol at a time) gives the same logits as the fused path
    W, b = stack_gates(model.gate_values())
    h_seq, _ = lstm_forward_fused(x, *s0, W, b)
    logits_seq = h_seq @ model.W_y.value + model.b_y.value
    state = s0
    for t in range(T):
        logits, state = model.step(x[:, t], state)
        np.testing.assert_allclose(logits, logits_seq[:, t], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(state[1], C_whole, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("init", INITS)
def test_loss_at_init_is_close_to_uniform(init):
    V, T, B = 63, 25, 4
    rng = np.random.default_rng(9)
    x, y = rng.integers(0, V, (B, T)), rng.integers(0, V, (B, T))
    uniform = T * np.log(V)
    loss, _ = LSTM(V, 100, init=init).evaluate(x, y, LSTM(V, 100).initial_state(B))
    assert loss == pytest.approx(uniform, rel=0.01)  # measured: +0.2% (forget_bias), +0.5% (seed)
    tiny = LSTM(V, 100, init=init, weight_scale=1e-4)  # tiny output weights: almost exactly uniform
    loss, _ = tiny.evaluate(x, y, tiny.initial_state(B))
    assert loss == pytest.approx(uniform, rel=1e-6)


def test_gate_activations_shapes_and_values():
    model = LSTM(5, 3, seed=2)
    ids = np.array([0, 4, 2, 2, 1, 3])
    acts = gate_activations(model, ids)
    assert set(acts) == {"f", "i", "C_tilde", "o", "a_f", "a_i", "a_C", "a_o", "C", "h"}
    assert all(a.shape == (6, 3) for a in acts.values())
    for k in ("f", "i", "o"):
        assert ((acts[k] > 0) & (acts[k] < 1)).all()
    np.testing.assert_allclose(acts["h"], acts["o"] * np.tanh(acts["C"]), rtol=1e-14)
    W, b = stack_gates(model.gate_values())
    h, _ = lstm_forward_fused(ids[None, :], *model.initial_state(1), W, b)
    np.testing.assert_allclose(acts["h"], h[0], rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------------------------
# Initialisation
# ----------------------------------------------------------------------------------------------


def test_seed_init_matches_the_seed_notebook():
    model = LSTM(30, 50, init="seed", seed=0)
    for name in ("W_f", "W_i", "W_o"):
        w = getattr(model, name).value
        assert abs(w.mean() - 0.5) < 0.01 and abs(w.std() - 0.1) < 0.01, name
    for name in ("W_C", "W_y"):
        w = getattr(model, name).value
        assert abs(w.mean()) < 0.01 and abs(w.std() - 0.1) < 0.01, name
    assert all(not getattr(model, f"b_{g}").value.any() for g in ("f", "i", "C", "o", "y"))


def test_forget_bias_init():
    V, H = 30, 50
    model = LSTM(V, H)
    assert model.init == "forget_bias"
    assert (model.b_f.value == 1.0).all()
    assert all(not getattr(model, f"b_{g}").value.any() for g in ("i", "C", "o", "y"))
    for name in ("W_f", "W_i", "W_C", "W_o"):
        w = getattr(model, name).value
        assert abs(w.mean()) < 0.01 and w.std() == pytest.approx(1 / np.sqrt(V + H), rel=0.05), name
    assert model.W_y.value.std() == pytest.approx(1 / np.sqrt(H), rel=0.05)
    scaled = LSTM(V, H, weight_scale=0.02)
    assert scaled.W_f.value.std() == pytest.approx(0.02, rel=0.05)
    assert scaled.W_y.value.std() == pytest.approx(0.02, rel=0.05)


def test_init_is_seeded():
    a, b, c = LSTM(5, 4, seed=3), LSTM(5, 4, seed=3), LSTM(5, 4, seed=4)
    assert all(np.array_equal(p.value, q.value) for p, q in zip(a.params, b.params, strict=True))
    assert not np.array_equal(a.W_f.value, c.W_f.value)


# ----------------------------------------------------------------------------------------------
# Learning
# ----------------------------------------------------------------------------------------------


def train(model: LSTM, ids: np.ndarray, B: int, T: int, steps: int) -> list[float]:
    """min-char-rnn's loop: B parallel streams, windows of T, state carried, Adagrad, clip 5."""
    n = (len(ids) - 1) // B
    inputs, targets = ids[: n * B].reshape(B, n), ids[1 : n * B + 1].reshape(B, n)
    optimizer = Adagrad(lr=0.1)
    state, pos, per_char = model.initial_state(B), 0, []
    for _ in range(steps):
        if pos + T > n:  # back to the start of the text, with a fresh state
            state, pos = model.initial_state(B), 0
        loss, state = model.loss(inputs[:, pos : pos + T], targets[:, pos : pos + T], state)
        clip_by_value(model.params, 5.0)
        optimizer.step(model.params)
        per_char.append(loss / T)
        pos += T
    return per_char


def test_overfits_a_short_repeated_string():
    text = "the cat sat on the mat. " * 40  # needs memory: 't' is followed by 'h', ' ' and '.'
    vocab = Vocabulary.from_text(text)
    model = LSTM(vocab.size, 32, seed=0)
    per_char = train(model, vocab.encode(text), B=1, T=25, steps=300)
    assert per_char[0] > 2.0
    assert np.mean(per_char[-20:]) < 0.05  # measured: ~0.003 nats/char


def test_learns_english_text_beyond_bigram_statistics():
    vocab = Vocabulary.from_text(ENGLISH)
    ids = vocab.encode(ENGLISH)
    V = vocab.size
    # The best any bigram model can do on this text (a model that ignores everything but the
    # current character): its conditional entropy, ~2.11 nats/char. Uniform guessing: ln 39 = 3.66.
    counts = np.zeros((V, V))
    np.add.at(counts, (ids[:-1], ids[1:]), 1)
    cond = counts / counts.sum(axis=1, keepdims=True)
    bigram = -np.sum(counts * np.log(np.where(counts > 0, cond, 1))) / counts.sum()
    assert 2.0 < bigram < 2.2

    model = LSTM(V, 64, seed=0)
    train(model, ids, B=8, T=25, steps=300)
    loss, _ = model.evaluate(ids[None, :-1], ids[None, 1:], model.initial_state(1))
    per_char = loss / (len(ids) - 1)
    assert per_char < 1.5  # measured ~0.99; only a model that uses context gets under ~2.1


# ----------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"vocab_size": 1, "hidden_size": 4}, "at least 2"),
        ({"vocab_size": 0, "hidden_size": 4}, "vocab_size"),
        ({"vocab_size": 5, "hidden_size": 0}, "hidden_size"),
        ({"vocab_size": 5, "hidden_size": -1}, "hidden_size"),
        ({"vocab_size": 5, "hidden_size": 2.5}, "hidden_size"),
        ({"vocab_size": 5, "hidden_size": 4, "init": "xavier"}, "'forget_bias', 'seed'"),
        ({"vocab_size": 5, "hidden_size": 4, "weight_scale": float("nan")}, "weight_scale"),
        ({"vocab_size": 5, "hidden_size": 4, "weight_scale": 0}, "weight_scale"),
        ({"vocab_size": 5, "hidden_size": 4, "dtype": np.int32}, "dtype"),
        ({"vocab_size": 5, "hidden_size": 4, "dtype": "banana"}, "dtype"),
        ({"vocab_size": 5, "hidden_size": 4, "seed": 1.5}, "seed"),
        ({"vocab_size": 5, "hidden_size": 4, "seed": -1}, "seed"),
    ],
)
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LSTM(**kwargs)


def test_bad_ids_and_states():
    model = LSTM(5, 4)
    x = np.array([[0, 1, 2]])
    s0 = model.initial_state(1)
    before = [p.value.copy() for p in model.params]
    with pytest.raises(ValueError, match=r"id 7.*size 5"):
        model.loss(np.array([[0, 7, 2]]), x, s0)
    with pytest.raises(ValueError, match=r"id -1.*size 5"):
        model.evaluate(x, np.array([[0, -1, 2]]), s0)
    with pytest.raises(ValueError, match="integer"):
        model.loss(x.astype(float), x, s0)
    with pytest.raises(ValueError, match="must have the same shape"):
        model.loss(x, x[:, :2], s0)
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        model.loss(x[0], x[0], s0)
    with pytest.raises(ValueError, match=r"initial_state\(1\)"):
        model.loss(x, x, s0[0])  # an RNN-style state: h only
    with pytest.raises(ValueError, match=r"initial_state\(1\)"):
        model.loss(x, x, model.initial_state(2))  # wrong batch size
    with pytest.raises(ValueError, match=r"initial_state\(1\)"):
        model.step(np.array([0]), (np.zeros((1, 3)), np.zeros((1, 4))))  # wrong hidden size
    with pytest.raises(ValueError, match=r"id 5"):
        model.step(np.array([5]), s0)
    with pytest.raises(ValueError, match=r"id 9"):
        gate_activations(model, [0, 9])
    with pytest.raises(ValueError, match="batch_size"):
        model.initial_state(0)
    # nothing was changed by the failed calls
    assert all(np.array_equal(p.value, b) for p, b in zip(model.params, before, strict=True))
    assert all(not p.grad.any() for p in model.params)


def test_gate_activations_record_pre_activations_consistent_with_the_gates():
    from lstm_lab.activations import sigmoid

    model = LSTM(7, 5, seed=2, init="seed")
    record = gate_activations(model, np.array([1, 4, 0, 6, 2]))
    for g in "fio":
        assert record[f"a_{g}"].shape == (5, 5)
        np.testing.assert_allclose(sigmoid(record[f"a_{g}"]), record[g], rtol=1e-12)
    np.testing.assert_allclose(np.tanh(record["a_C"]), record["C_tilde"], rtol=1e-12)


@pytest.mark.parametrize("inputs", ["ids", "dense"])
def test_fused_backward_without_initial_state_grads_gives_the_same_weight_and_input_grads(inputs):
    # Training skips the gradient with respect to the window's initial state (and the last
    # step's multiply): everything else must be what the full backward pass gives.
    rng = np.random.default_rng(5)
    B, T, V, H = 3, 6, 7, 4
    ids = rng.integers(0, V, (B, T))
    x = ids if inputs == "ids" else rng.standard_normal((B, T, V))
    h0, C0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    W, b = stack_gates(random_gate_params(V, H, rng))
    dh, dC_T = rng.standard_normal((B, T, H)), rng.standard_normal((B, H))
    full = lstm_backward_fused(dh, lstm_forward_fused(x, h0, C0, W, b)[1], dC_T=dC_T)
    full = [None if a is None else a.copy() for a in full]
    dx, dh0, dC0, dW, db = lstm_backward_fused(
        dh, lstm_forward_fused(x, h0, C0, W, b)[1], dC_T=dC_T, initial_state_grads=False
    )
    assert dh0 is None and dC0 is None
    np.testing.assert_array_equal(dW, full[3])
    np.testing.assert_array_equal(db, full[4])
    if inputs == "dense":
        np.testing.assert_array_equal(dx, full[0])
