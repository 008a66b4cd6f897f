"""TBPTT batching: splits, streams, windows, and hyperparameter checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_lab.batching import batches, make_streams, num_windows, train_val_split, windows
from lstm_lab.checks import check_positive_float, check_positive_int


def test_train_val_split_is_contiguous_and_last():
    ids = np.arange(100)
    train, val = train_val_split(ids, 0.1)
    assert train.tolist() == list(range(90))
    assert val.tolist() == list(range(90, 100))
    train[0] = 99
    assert ids[0] == 0  # copies: the caller's ids are untouched


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, float("nan"), float("inf"), True, "0.1"])
def test_train_val_split_bad_fraction(fraction):
    with pytest.raises(ValueError, match="val_fraction must be a number strictly between 0 and 1"):
        train_val_split(np.arange(100), fraction)


def test_train_val_split_too_small():
    with pytest.raises(ValueError, match=r"10 symbols.*0 validation"):
        train_val_split(np.arange(10), 0.01)


def test_make_streams_shape_and_rows():
    ids = np.arange(23)
    streams = make_streams(ids, 4)
    assert streams.shape == (4, 5)
    assert streams[1].tolist() == [5, 6, 7, 8, 9]  # row b = ids[b*L:(b+1)*L]; 3 ids dropped


def test_windows_shapes_shift_and_abut():
    ids = np.arange(4 * 26)
    streams = make_streams(ids, 4)  # (4, 26)
    got = list(windows(streams, 5))
    assert len(got) == num_windows(26, 5) == 5
    for inputs, targets in got:
        assert inputs.shape == targets.shape == (4, 5)
        np.testing.assert_array_equal(targets, inputs + 1)  # ids are consecutive here
    row_inputs = np.concatenate([x for x, _ in got], axis=1)
    np.testing.assert_array_equal(row_inputs, streams[:, :25])


def test_windows_are_read_only_views():
    streams = make_streams(np.arange(40), 2)
    inputs, _ = next(windows(streams, 3))
    with pytest.raises(ValueError):
        inputs[0, 0] = 7
    assert streams[0, 0] == 0


@given(
    n=st.integers(0, 400),
    batch_size=st.integers(1, 8),
    seq_length=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_batches_property(n, batch_size, seq_length, seed):
    ids = np.random.default_rng(seed).integers(0, 50, size=n)
    if n < batch_size * (seq_length + 1):
        with pytest.raises(ValueError, match="too|needs"):
            batches(ids, batch_size, seq_length)
        return
    L = n // batch_size
    got = list(batches(ids, batch_size, seq_length))
    assert len(got) == num_windows(L, seq_length) == (L - 1) // seq_length >= 1
    streams = ids[: batch_size * L].reshape(batch_size, L)
    for k, (inputs, targets) in enumerate(got):
        assert inputs.shape == targets.shape == (batch_size, seq_length)
        t0 = k * seq_length
        np.testing.assert_array_equal(inputs, streams[:, t0 : t0 + seq_length])
        np.testing.assert_array_equal(targets, streams[:, t0 + 1 : t0 + 1 + seq_length])
    # Targets are the inputs shifted by one symbol, and windows abut exactly.
    inputs_all = np.concatenate([x for x, _ in got], axis=1)
    targets_all = np.concatenate([y for _, y in got], axis=1)
    np.testing.assert_array_equal(inputs_all[:, 1:], targets_all[:, :-1])
    np.testing.assert_array_equal(inputs_all, streams[:, : inputs_all.shape[1]])


def test_too_short_message():
    with pytest.raises(ValueError) as info:
        batches(np.arange(50), batch_size=4, seq_length=25)
    message = str(info.value)
    assert "50 symbols" in message
    assert "104" in message  # B*(T+1) = 4*26
    assert "longer text" in message and "batch_size" in message and "seq_length" in message


def test_windows_too_short_message():
    with pytest.raises(ValueError, match=r"needs B\*\(T\+1\) = 22"):
        windows(make_streams(np.arange(20), 2), 10)  # raises at the call, not at next()


BAD = [0, -1, 2.5, float("nan"), True]


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("batch_size", lambda v: make_streams(np.arange(100), v)),
        ("batch_size", lambda v: batches(np.arange(100), v, 5)),
        ("seq_length", lambda v: batches(np.arange(100), 2, v)),
        ("seq_length", lambda v: windows(np.zeros((2, 50), dtype=int), v)),
        ("seq_length", lambda v: num_windows(50, v)),
    ],
)
def test_bad_hyperparameters(name, call, bad):
    with pytest.raises(ValueError, match=name):
        call(bad)


def test_check_positive_int_messages():
    with pytest.raises(ValueError, match=r"batch_size must be a positive whole number, got 0\. Try 32\."):
        check_positive_int("batch_size", 0)
    with pytest.raises(ValueError, match=r"got 32\.0 \(float\)"):
        check_positive_int("batch_size", 32.0)
    assert check_positive_int("batch_size", np.int64(3)) == 3
    assert type(check_positive_int("n", np.int32(3))) is int


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), True, "0.1", None])
def test_check_positive_float_rejects(bad):
    with pytest.raises(ValueError, match="learning_rate must be a positive"):
        check_positive_float("learning_rate", bad)


def test_check_positive_float_accepts():
    assert check_positive_float("learning_rate", 1) == 1.0
    assert check_positive_float("learning_rate", np.float32(0.5)) == 0.5


def test_bad_ids():
    with pytest.raises(ValueError, match="1-D"):
        make_streams(np.zeros((3, 3), dtype=int), 1)
    with pytest.raises(ValueError, match="integer ids"):
        make_streams(np.zeros(10), 1)
