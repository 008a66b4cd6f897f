"""Cell analyses and gradient-against-distance measurements."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_lab import inside
from lstm_lab.exercises import check_correlations, lesson10
from lstm_lab.lstm import LSTM
from lstm_lab.rnn import RNN


def test_text_features_by_hand():
    f = inside.text_features('a "b c" d\nef')
    assert f["inside quotes"].tolist() == [0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    assert f["position in line"].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert f["position in word"].tolist() == [1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 2]


def test_correlations_match_numpy_and_find_the_planted_cell():
    rng = np.random.default_rng(0)
    feature = rng.standard_normal(200)
    values = rng.standard_normal((200, 6))
    values[:, 4] = -2.0 * feature + 0.1 * rng.standard_normal(200)  # cell 4 tracks it, sign flipped
    values[:, 1] = 3.0  # a constant cell has no correlation, not nan
    r = inside.correlations(values, feature)
    for j in (0, 2, 3, 4, 5):
        assert r[j] == pytest.approx(np.corrcoef(values[:, j], feature)[0, 1], abs=1e-12)
    assert r[1] == 0.0
    best = inside.best_cells(values, feature, top=2)
    assert best[0][0] == 4 and best[0][1] < -0.99 and len(best) == 2


def test_correlations_refuse_mismatched_lengths():
    with pytest.raises(ValueError, match="same T"):
        inside.correlations(np.zeros((5, 3)), np.zeros(4))


def test_exercise_check_passes_the_reference_and_names_classic_mistakes():
    assert check_correlations(inside.correlations).passed
    uncentred = check_correlations(lesson10._uncentred_correlations)
    assert not uncentred.passed and "subtract the means" in uncentred.message
    cov = check_correlations(lesson10._covariances)
    assert not cov.passed and "covariance" in cov.message
    assert "return" in check_correlations(lambda v, f: None).message


def test_text_heatmap_colours_one_box_per_character():
    fig = inside.text_heatmap("ab\ncd", np.array([-1.0, 0.0, 1.0, 0.5, -0.5]), width=10, title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["a", "b", "⏎", "c", "d"]
    (image,) = ax.images  # one box per grid cell: row 0 is "ab⏎", row 1 is "cd"
    boxes = image.get_array()
    assert boxes.shape == (2, 10, 4)
    reds, blues, white = boxes[0, 2], boxes[0, 0], boxes[1, 5]
    assert reds[0] > reds[2] and blues[2] > blues[0]  # positive red, negative blue
    assert np.allclose(white, 1.0)  # no character there: no colour
    with pytest.raises(ValueError, match="one number per character"):
        inside.text_heatmap("abc", np.zeros(2))


def _brute_force_rnn_norms(model, inputs, targets, eps=1e-6):
    """dL/dh_t by perturbing h_t itself, stepping the model forward by hand."""
    B, T = inputs.shape
    norms = np.zeros(T)

    def loss_from(t, h_t):
        h = h_t
        for s in range(t + 1, T):
            _, h = model.step(inputs[:, s], h)
        logits = h @ model.W_y.value + model.b_y.value
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return -logp[np.arange(B), targets].mean()

    hs, h = [], model.initial_state(B)
    for s in range(T):
        _, h = model.step(inputs[:, s], h)
        hs.append(h)
    for t in range(T):
        grad = np.zeros_like(hs[t])
        for b in range(B):
            for j in range(model.hidden_size):
                hp, hm = hs[t].copy(), hs[t].copy()
                hp[b, j] += eps
                hm[b, j] -= eps
                grad[b, j] = (loss_from(t, hp) - loss_from(t, hm)) / (2 * eps)
        norms[T - 1 - t] = np.linalg.norm(grad * B, axis=1).mean()  # per-example loss, not the mean
    return norms


def test_rnn_gradient_norms_match_finite_differences():
    model = RNN(5, 4, seed=0, weight_scale=0.5)
    rng = np.random.default_rng(0)
    inputs, targets = rng.integers(0, 5, size=(2, 6)), rng.integers(0, 5, size=2)
    got = inside.gradient_norms(model, inputs, targets)["h"]
    np.testing.assert_allclose(got, _brute_force_rnn_norms(model, inputs, targets), rtol=1e-5)


def test_lstm_gradient_norms_are_consistent_with_the_step_backward():
    model = LSTM(7, 5, seed=0)
    rng = np.random.default_rng(1)
    inputs, targets = rng.integers(0, 7, size=(3, 8)), rng.integers(0, 7, size=3)
    norms = inside.gradient_norms(model, inputs, targets)
    assert set(norms) == {"h", "C"} and norms["h"].shape == (8,)
    assert norms["C"][0] == 0.0 and norms["C"][1] > 0  # nothing flows into C_T from the loss directly
    assert np.all(np.isfinite(norms["h"])) and norms["h"][0] > 0


def test_the_rnn_gradient_fades_faster_than_the_lstms_at_init():
    rng = np.random.default_rng(0)
    inputs, targets = rng.integers(0, 10, size=(8, 40)), rng.integers(0, 10, size=8)
    rnn = inside.gradient_norms(RNN(10, 16, seed=0, weight_scale=0.1), inputs, targets)["h"]
    lstm = inside.gradient_norms(LSTM(10, 16, seed=0), inputs, targets)["h"]
    assert inside.relative_gradient(rnn, 20) < 1e-3 * inside.relative_gradient(lstm, 20)


def test_windows_with_targets():
    ids = np.arange(100)
    inputs, targets = inside.windows_with_targets(ids, n=5, length=10, seed=0)
    assert inputs.shape == (5, 10)
    assert np.array_equal(targets, inputs[:, -1] + 1)
    assert np.array_equal(np.diff(inputs, axis=1), np.ones((5, 9)))
    with pytest.raises(ValueError, match="at least 11"):
        inside.windows_with_targets(np.arange(10), n=1, length=10)


def test_gradient_norms_check_their_inputs():
    with pytest.raises(ValueError, match="targets must have shape"):
        inside.gradient_norms(RNN(5, 3), np.zeros((2, 4), dtype=int), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="outside this model's vocabulary"):
        inside.gradient_norms(LSTM(5, 3), np.full((2, 4), 9), np.zeros(2, dtype=int))


def test_cell_states_are_gate_activations_C():
    from lstm_lab.lstm import gate_activations

    model = LSTM(9, 6, seed=3)
    ids = np.random.default_rng(0).integers(0, 9, size=30)
    np.testing.assert_array_equal(inside.cell_states(model, ids), gate_activations(model, ids)["C"])


def _quote_like_signal(rng, T, mean_span=40):
    """0/1 spans of random length, like 'inside quotes': slowly varying, not noise."""
    lengths = rng.geometric(1 / mean_span, size=T)
    values = np.repeat(np.arange(len(lengths)) % 2, lengths)[:T]
    return values.astype(float)


def _drifting_cells(rng, T, H):
    """Cells that drift slowly and know nothing of the signal (AR(1) with a long memory)."""
    noise = rng.standard_normal((T, H))
    out = np.zeros((T, H))
    for t in range(1, T):
        out[t] = 0.98 * out[t - 1] + noise[t]
    return out


def test_a_planted_tracking_cell_beats_both_nulls():
    rng = np.random.default_rng(0)
    T, H = 3000, 20
    signal = _quote_like_signal(rng, T)
    cells = _drifting_cells(rng, T, H)
    cells[:, 7] = -3.0 * signal + 0.8 * rng.standard_normal(T)  # cell 7 tracks it, sign flipped
    untrained = [_drifting_cells(rng, T, H) for _ in range(3)]
    (result,) = inside.search_with_controls(cells, {"quotes": signal}, untrained, margin=0.1)
    assert result.cell == 7 and result.r < -0.8
    assert result.beats_nulls and abs(result.r) > result.threshold
    assert result.untrained.shape == (3,) and result.shifted.shape == (20,)
    assert "beats both nulls" in str(result)


def test_cells_of_pure_noise_are_not_a_finding():
    """Drifting cells find a sizeable chance correlation, and the nulls find as much."""
    rng = np.random.default_rng(1)
    T, H = 3000, 20
    signal = _quote_like_signal(rng, T)
    cells = _drifting_cells(rng, T, H)
    untrained = [_drifting_cells(rng, T, H) for _ in range(3)]
    (result,) = inside.search_with_controls(cells, {"quotes": signal}, untrained, margin=0.1)
    assert abs(result.r) > 0.15  # chance alone gives a 'best cell' that looks like something
    assert not result.beats_nulls and "no better than chance" in str(result)


def test_shuffling_characters_would_be_too_easy_a_null():
    """Why shifted_null moves the signal instead of shuffling it: for slowly varying cells the
    shuffled null's best |r| is far below what chance alignment really gives."""
    rng = np.random.default_rng(2)
    T, H = 3000, 20
    signal = _quote_like_signal(rng, T)
    cells = _drifting_cells(rng, T, H)
    shuffled = [inside.best_abs_correlation(cells, rng.permutation(signal)) for _ in range(20)]
    shifted = inside.shifted_null(cells, signal, n_shifts=20, seed=0)
    assert max(shuffled) < 0.1 < np.median(shifted)


def test_shifted_null_keeps_the_signal_and_moves_it_far():
    signal = np.zeros(100)
    signal[10:20] = 1.0
    cells = signal[:, None] + np.zeros((100, 2))  # a perfect tracker at shift 0
    assert inside.best_abs_correlation(cells, signal) == pytest.approx(1.0)
    assert np.all(inside.shifted_null(cells, signal, n_shifts=30, min_shift=15, seed=0) < 0.5)
    with pytest.raises(ValueError, match="min_shift"):
        inside.shifted_null(cells, signal, min_shift=60)


def test_search_with_controls_refuses_other_texts():
    with pytest.raises(ValueError, match="SAME text"):
        inside.search_with_controls(np.zeros((10, 3)), {"f": np.arange(10.0)}, [np.zeros((9, 3))])
    with pytest.raises(ValueError, match="at least one untrained"):
        inside.search_with_controls(np.zeros((10, 3)), {"f": np.arange(10.0)}, [])


def test_shifted_null_is_the_best_correlation_at_each_shift():
    rng = np.random.default_rng(4)
    cells, signal = rng.standard_normal((300, 5)), _quote_like_signal(rng, 300, mean_span=10)
    cells[:, 2] = 1.0  # a constant cell has r = 0, not nan
    got = inside.shifted_null(cells, signal, n_shifts=4, seed=7)
    shifts = np.random.default_rng(7).integers(30, 271, size=4)
    want = [inside.best_abs_correlation(cells, np.roll(signal, int(s))) for s in shifts]
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_forget_products_multiply_the_gates_along_the_cell():
    from lstm_lab.lstm import gate_activations

    model = LSTM(6, 4, seed=2)
    inputs = np.random.default_rng(0).integers(0, 6, size=(3, 7))
    got = inside.forget_products(model, inputs)
    f = np.stack([gate_activations(model, row)["f"] for row in inputs])  # (B, T, H)
    assert got.shape == (8,) and got[0] == 1.0
    for k in (1, 3, 7):
        np.testing.assert_allclose(got[k], np.prod(f[:, 7 - k :], axis=1).mean(), rtol=1e-12)
    model.b_f.value[:] = 3.0  # gates start near sigmoid(3) = 0.95
    assert inside.forget_products(model, inputs)[7] == pytest.approx(0.95**7, rel=0.1)
