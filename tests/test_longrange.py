"""The long-range recall task: data, the last-step loss and its gradients, training."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_lab import longrange
from lstm_lab.longrange import KEYS, NOISE, QUERY, SYMBOLS, VOCAB_SIZE
from lstm_lab.lstm import LSTM
from lstm_lab.rnn import RNN


def test_batch_puts_the_key_d_steps_before_the_query():
    rng = np.random.default_rng(0)
    distances = np.array([1, 4, 9])
    ids, answers = longrange.make_recall_batch(rng, distances, length=10)
    assert ids.shape == (3, 10) and answers.shape == (3,)
    for row, d, answer in zip(ids, distances, answers, strict=True):
        text = longrange.decode(row)
        assert text[-1] == QUERY
        key_positions = [t for t, ch in enumerate(text) if ch in KEYS]
        assert key_positions == [len(text) - 1 - d]  # exactly one key, at the right place
        assert text[key_positions[0]] == SYMBOLS[answer]
        assert all(ch in NOISE for t, ch in enumerate(text[:-1]) if t != key_positions[0])


def test_batches_are_reproducible_and_answers_cover_all_keys():
    a = longrange.make_recall_batch(np.random.default_rng(3), np.full(200, 5), 8)
    b = longrange.make_recall_batch(np.random.default_rng(3), np.full(200, 5), 8)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert set(a[1].tolist()) == set(range(len(KEYS)))


@pytest.mark.parametrize("distances, length", [([0], 5), ([5], 5), ([], 5), ([1.5], 5)])
def test_bad_distances_get_one_clear_error(distances, length):
    with pytest.raises(ValueError, match="distance"):
        longrange.make_recall_batch(np.random.default_rng(0), np.asarray(distances), length)


def _numerical_grad(model, ids, answers, param, index, h=1e-6):
    old = param.value[index]
    param.value[index] = old + h
    plus = longrange.last_step_loss(model, ids, answers)
    param.value[index] = old - h
    minus = longrange.last_step_loss(model, ids, answers)
    param.value[index] = old
    return (plus - minus) / (2 * h)


@pytest.mark.parametrize("make", [lambda: RNN(VOCAB_SIZE, 6, seed=1, weight_scale=0.4),
                                  lambda: LSTM(VOCAB_SIZE, 6, seed=1)], ids=["rnn", "lstm"])
def test_last_step_loss_gradients_match_finite_differences(make):
    model = make()
    rng = np.random.default_rng(0)
    ids, answers = longrange.make_recall_batch(rng, np.array([2, 5, 3]), length=7)
    loss = longrange.last_step_loss(model, ids, answers)
    assert 0.5 * np.log(VOCAB_SIZE) < loss < 2 * np.log(VOCAB_SIZE)  # near guessing at init
    analytic = {p.name: p.grad.copy() for p in model.params}
    for p in model.params:
        for _ in range(3):
            index = tuple(int(rng.integers(0, n)) for n in p.shape)
            numeric = _numerical_grad(model, ids, answers, p, index)
            assert analytic[p.name][index] == pytest.approx(numeric, rel=1e-5, abs=1e-8), p.name


def test_answer_logits_match_the_models_own_step_function():
    """hidden_forward is the models' recurrence: compare with stepping model.step."""
    rng = np.random.default_rng(2)
    ids, _ = longrange.make_recall_batch(rng, np.array([3, 1]), length=6)
    for model in (RNN(VOCAB_SIZE, 5, seed=0, weight_scale=0.3), LSTM(VOCAB_SIZE, 5, seed=0)):
        state = model.initial_state(2)
        for t in range(ids.shape[1]):
            logits, state = model.step(ids[:, t], state)
        np.testing.assert_allclose(longrange.answer_logits(model, ids), logits, rtol=1e-10, atol=1e-12)


def test_a_model_that_is_not_ours_is_refused():
    with pytest.raises(TypeError, match="RNN or LSTM"):
        longrange.answer_logits(object(), np.zeros((1, 3), dtype=int))


def test_training_solves_a_short_distance():
    model = LSTM(VOCAB_SIZE, 16, seed=0)
    losses = longrange.train_recall(model, num_steps=150, max_distance=3, min_distance=3, lr=0.02)
    assert len(losses) == 150 and losses[-1] < losses[0]
    accuracy = longrange.recall_accuracy(model, [3], length=4, n=200)
    assert accuracy[3] > 0.9


def test_untrained_model_guesses():
    accuracy = longrange.recall_accuracy(LSTM(VOCAB_SIZE, 8, seed=0), [2, 6], length=8, n=400)
    assert set(accuracy) == {2, 6}
    assert all(0.1 < a < 0.45 for a in accuracy.values())


def test_accuracy_by_distance_trains_one_model_per_distance():
    made = []

    def make():
        made.append(RNN(VOCAB_SIZE, 8, seed=0, weight_scale=0.35))
        return made[-1]

    result = longrange.accuracy_by_distance(make, [2, 3], num_steps=120, lr=0.02)
    assert list(result) == [2, 3] and len(made) == 2
    assert result[2] > 0.9  # two steps back is easy for an RNN too


def test_min_distance_above_max_is_refused():
    with pytest.raises(ValueError, match="min_distance"):
        longrange.train_recall(LSTM(VOCAB_SIZE, 4), num_steps=1, max_distance=3, min_distance=5)


def test_training_stops_early_once_solved_and_not_before():
    model = LSTM(VOCAB_SIZE, 16, seed=0)
    losses = longrange.train_recall(model, num_steps=300, max_distance=3, min_distance=3, lr=0.02,
                                    stop_loss=0.05)
    assert 10 <= len(losses) < 300 and np.mean(losses[-10:]) < 0.05
    assert np.mean(losses[-11:-1]) >= 0.05  # it stopped at the first step the mean was below
    with pytest.raises(ValueError, match="stop_loss"):
        longrange.train_recall(model, num_steps=1, max_distance=3, stop_loss=0.0)


def test_recall_table_has_a_row_per_seed_and_each_seed_is_its_own_run():
    table = longrange.recall_table(lambda s: longrange.recall_rnn(8, seed=s), [2, 3], [0, 1], num_steps=150)
    assert table.shape == (2, 2) and np.all(table[:, 0] > 0.9)
    again = longrange.recall_table(lambda s: longrange.recall_rnn(8, seed=s), [2, 3], [1], num_steps=150)
    np.testing.assert_array_equal(again[0], table[1])


@pytest.mark.parametrize("init", longrange.RNN_INITS)
def test_recall_rnn_inits_have_spectral_radius_one(init):
    W = longrange.recall_rnn(32, init, seed=0).W_hh.value
    radius = np.abs(np.linalg.eigvals(W)).max()
    assert 0.75 < radius < 1.25
    if init != "gaussian":
        np.testing.assert_allclose(W @ W.T, np.eye(32), atol=1e-12)  # orthogonal: nothing shrinks
    with pytest.raises(ValueError, match="unknown init"):
        longrange.recall_rnn(4, "xavier")


def test_recall_lstm_forget_gates_start_near_sigmoid_of_the_bias():
    from lstm_lab.lstm import gate_activations

    ids, _ = longrange.make_recall_batch(np.random.default_rng(0), [10], length=20)
    for b_f in (1.0, 3.0):
        f = gate_activations(longrange.recall_lstm(32, b_f, seed=0), ids[0])["f"]
        assert abs(f.mean() - 1 / (1 + np.exp(-b_f))) < 0.03
