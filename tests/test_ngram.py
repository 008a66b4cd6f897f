"""n-gram count baselines, on texts small enough to count by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_lab.ngram import NGram, best_alpha, ngram_baselines

# "abab c": a=0, b=1, c=2
ABABC = np.array([0, 1, 0, 1, 2])


def test_unigram_is_smoothed_frequencies():
    model = NGram.fit(ABABC, 1, 3)
    # counts a 2, b 2, c 1 of 5; alpha 1: (2+1)/(5+3), (2+1)/8, (1+1)/8
    np.testing.assert_allclose(model.next_distribution([], alpha=1.0), [3 / 8, 3 / 8, 2 / 8])
    np.testing.assert_allclose(model.log_prob([2, 0], alpha=1.0), np.log([2 / 8, 3 / 8]))
    assert model.loss([2, 0], alpha=1.0) == pytest.approx(-(math.log(2 / 8) + math.log(3 / 8)) / 2)


def test_bigram_counts_by_hand():
    model = NGram.fit(ABABC, 2, 3)
    # pairs: ab, ba, ab, bc. After a: b twice. After b: a once, c once. After c: nothing.
    np.testing.assert_allclose(model.next_distribution([0], alpha=0.5), [0.5 / 3.5, 2.5 / 3.5, 0.5 / 3.5])
    np.testing.assert_allclose(model.next_distribution([2, 1], alpha=0.5), [1.5 / 3.5, 0.5 / 3.5, 1.5 / 3.5])
    # an unseen context is uniform
    np.testing.assert_allclose(model.next_distribution([2], alpha=0.5), [1 / 3] * 3)
    # "abc": predicts b after a, c after b (the first symbol has no context)
    np.testing.assert_allclose(model.log_prob([0, 1, 2], alpha=0.5), np.log([2.5 / 3.5, 1.5 / 3.5]))


def test_trigram_and_probabilities_sum_to_one():
    model = NGram.fit(ABABC, 3, 3)
    # contexts: ab -> a, ba -> b, ab -> c
    np.testing.assert_allclose(model.next_distribution([0, 1], alpha=1.0), [2 / 5, 1 / 5, 2 / 5])
    rng = np.random.default_rng(0)
    text = rng.integers(0, 5, 300)
    for n in (1, 2, 3, 4):
        m = NGram.fit(text, n, 5)
        for ctx in ([1, 2, 3], [4, 4, 4]):
            assert m.next_distribution(ctx, alpha=0.01).sum() == pytest.approx(1.0)


def test_small_alpha_approaches_the_counts_and_more_context_fits_training_text_better():
    model = NGram.fit(ABABC, 2, 3)
    np.testing.assert_allclose(model.next_distribution([0], alpha=1e-9), [0, 1, 0], atol=1e-8)
    rng = np.random.default_rng(1)
    text = np.tile(rng.integers(0, 6, 40), 5)  # a repeated random string: context predicts it exactly
    losses = [NGram.fit(text, n, 6).loss(text, alpha=0.01) for n in (1, 2, 3)]
    assert losses[0] > losses[1] > losses[2]


def test_best_alpha_picks_the_lowest_validation_loss():
    train = np.array([0, 1] * 20 + [2])
    model = NGram.fit(train, 2, 3)
    # validation that follows the training pattern: the smallest alpha wins
    alpha, loss = best_alpha(model, [0, 1, 0, 1, 0, 1], alphas=(1.0, 0.1, 0.01))
    assert alpha == 0.01 and loss == pytest.approx(model.loss([0, 1, 0, 1, 0, 1], 0.01))
    # validation that breaks it: more smoothing wins
    alpha, _ = best_alpha(model, [0, 0, 0, 2, 2, 0], alphas=(1.0, 0.1, 0.01))
    assert alpha == 1.0
    with pytest.raises(ValueError, match="alphas is empty"):
        best_alpha(model, [0, 1], alphas=())


def test_ngram_baselines_rows():
    rng = np.random.default_rng(2)
    text = rng.integers(0, 4, 2000)
    rows = ngram_baselines(text[:1800], text[1800:], 4, orders=(1, 2), alphas=(0.1, 1.0))
    assert [r[0] for r in rows] == [1, 2] and all(r[1] in (0.1, 1.0) for r in rows)
    # random text: no model beats the uniform ln 4 by much, and none is far worse
    for _, _, loss in rows:
        assert abs(loss - math.log(4)) < 0.05


@pytest.mark.parametrize("n", [0, -1, 2.0, True])
def test_bad_n(n):
    with pytest.raises(ValueError, match="n must be a positive whole number"):
        NGram.fit(ABABC, n, 3)


@pytest.mark.parametrize("alpha", [0, -0.1, float("nan"), float("inf"), "0.1", True])
def test_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        NGram.fit(ABABC, 2, 3).loss(ABABC, alpha=alpha)


def test_bad_ids():
    with pytest.raises(ValueError, match=r"vocab.encode\(text\)"):
        NGram.fit("abab", 2, 3)
    with pytest.raises(ValueError, match="1-D array of integer ids"):
        NGram.fit(np.zeros((2, 3), dtype=int), 2, 3)
    with pytest.raises(ValueError, match="1-D array of integer ids"):
        NGram.fit(np.array([0.0, 1.0, 2.0]), 2, 3)
    with pytest.raises(ValueError, match="fewer than n = 3"):
        NGram.fit([0, 1], 3, 3)
    with pytest.raises(ValueError, match="the id 3, outside 0..2"):
        NGram.fit([0, 1, 3], 2, 3)
    with pytest.raises(ValueError, match="the id -1"):
        NGram.fit(ABABC, 2, 3).loss([0, -1, 1])
    with pytest.raises(ValueError, match="too many possible n-grams"):
        NGram.fit(ABABC, 40, 3)
    with pytest.raises(ValueError, match="context has 1 ids, fewer than n = 2"):
        NGram.fit(ABABC, 3, 3).next_distribution([0])
