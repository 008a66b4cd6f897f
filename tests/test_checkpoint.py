"""Checkpoints: exact resume, atomic writes, and one clear error for every bad file."""

from __future__ import annotations

import json
import signal

import numpy as np
import pytest

from lstm_lab.checkpoint import (
    FORMAT,
    VERSION,
    Checkpointer,
    CheckpointError,
    checkpoint_arrays,
    load_checkpoint,
    save_checkpoint,
)
from lstm_lab.lstm import LSTM
from lstm_lab.optim import SGD, Adagrad, Adam
from lstm_lab.rnn import RNN
from lstm_lab.train import History, train
from lstm_lab.vocab import Vocabulary

TEXT = "the cat sat on the mat and the dog sat on the log. " * 24
VOCAB = Vocabulary.from_text(TEXT)
IDS = VOCAB.encode(TEXT)
TRAIN_IDS, VAL_IDS = IDS[:1000], IDS[1000:]
SETTINGS = {"batch_size": 4, "seq_length": 10, "log_every": 5}  # 24 windows per pass over TRAIN_IDS


def assert_same_training_state(a, b):
    """Parameters AND optimiser memory bit-identical."""
    for p, q in zip(a.params, b.params, strict=True):
        assert p.value.dtype == q.value.dtype
        np.testing.assert_array_equal(p.value, q.value, err_msg=p.name)
        assert p.state.keys() == q.state.keys()
        for key in p.state:
            np.testing.assert_array_equal(p.state[key], q.state[key], err_msg=f"{p.name} {key}")


@pytest.fixture
def trained(tmp_path):
    """A float32 LSTM after 12 Adagrad steps with validation, and its checkpoint."""
    model = LSTM(len(VOCAB), 12, seed=3, dtype=np.float32)
    optimizer = Adagrad(lr=0.05)
    history = train(model, TRAIN_IDS, val_ids=VAL_IDS, num_steps=12, optimizer=optimizer, eval_every=6, **SETTINGS)
    rng = np.random.default_rng(7)
    rng.random(3)  # a generator part-way through its stream
    path = save_checkpoint(tmp_path / "ckpt.npz", model, VOCAB, optimizer=optimizer, history=history, rng=rng)
    return model, optimizer, history, rng, path


def test_round_trip_restores_everything(trained):
    model, optimizer, history, rng, path = trained
    ckpt = load_checkpoint(path, text=TEXT)
    assert isinstance(ckpt.model, LSTM) and ckpt.model.dtype == np.float32
    assert (ckpt.model.hidden_size, ckpt.model.init) == (12, model.init)
    assert_same_training_state(ckpt.model, model)
    assert ckpt.vocab == VOCAB
    assert isinstance(ckpt.optimizer, Adagrad) and ckpt.optimizer.lr == 0.05 and ckpt.optimizer.eps == optimizer.eps
    assert ckpt.history == history  # every logged list and flag
    ts, saved_ts = ckpt.history.train_state, history.train_state
    assert (ts.batch_size, ts.seq_length, ts.window, ts.text_id) == (
        saved_ts.batch_size, saved_ts.seq_length, saved_ts.window, saved_ts.text_id)
    for c, d in zip(ts.carried, saved_ts.carried, strict=True):
        np.testing.assert_array_equal(c, d)
    np.testing.assert_array_equal(ckpt.rng.random(5), rng.random(5))  # continues the same stream


def test_a_checkpoint_is_plain_data(trained):
    *_, path = trained
    with np.load(path, allow_pickle=False) as npz:  # would raise on any pickled object
        assert str(npz["format"]) == FORMAT and int(npz["version"]) == VERSION
        assert npz["vocab/symbols"].dtype.kind == "U"
        assert all(npz[k].dtype != object for k in npz.files)


@pytest.mark.parametrize("Model", [RNN, LSTM])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make_optimizer", [lambda: Adagrad(lr=0.1), lambda: Adam(lr=0.01)], ids=["adagrad", "adam"])
def test_n_steps_save_load_m_steps_equals_n_plus_m(tmp_path, Model, dtype, make_optimizer):
    N, M = 17, 20  # together they cross the end of a pass, where the streams start over
    one_go = Model(len(VOCAB), 10, seed=1, dtype=dtype)
    train(one_go, TRAIN_IDS, num_steps=N + M, optimizer=make_optimizer(), **SETTINGS)

    first = Model(len(VOCAB), 10, seed=1, dtype=dtype)
    optimizer = make_optimizer()
    history = train(first, TRAIN_IDS, num_steps=N, optimizer=optimizer, **SETTINGS)
    save_checkpoint(tmp_path / "c.npz", first, VOCAB, optimizer=optimizer, history=history)
    del first, optimizer, history  # a new session: nothing survives but the file

    ckpt = load_checkpoint(tmp_path / "c.npz", text=TEXT)
    history = train(ckpt.model, TRAIN_IDS, num_steps=M, optimizer=ckpt.optimizer, history=ckpt.history, **SETTINGS)
    assert_same_training_state(ckpt.model, one_go)
    assert history.steps[-1] == N + M and history.chars[-1] == (N + M) * 40


@pytest.mark.parametrize("how", ["signal", "callback"])
def test_an_interrupted_run_resumed_with_its_history_continues_exactly(how, capsys):
    one_go = RNN(len(VOCAB), 10, seed=2)
    train(one_go, TRAIN_IDS, num_steps=40, **SETTINGS)

    def interrupt_at_step_15(history):
        if history.steps[-1] == 15:
            if how == "signal":
                signal.raise_signal(signal.SIGINT)  # what Ctrl-C / "interrupt kernel" does, to this thread
            else:
                raise KeyboardInterrupt

    model = RNN(len(VOCAB), 10, seed=2)
    history = train(model, TRAIN_IDS, num_steps=40, callbacks=[interrupt_at_step_15], **SETTINGS)
    assert history.interrupted and history.steps[-1] == 15
    assert "history=history" in capsys.readouterr().out
    history = train(model, TRAIN_IDS, num_steps=25, history=history, **SETTINGS)
    assert not history.interrupted and history.steps[-1] == 40
    assert_same_training_state(model, one_go)


def test_a_failure_while_writing_leaves_the_previous_checkpoint_intact(trained, monkeypatch):
    model, optimizer, history, _, path = trained
    before = path.read_bytes()
    train(model, TRAIN_IDS, num_steps=3, optimizer=optimizer, history=history, **SETTINGS)

    def crash(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="simulated"):
        save_checkpoint(path, model, VOCAB, optimizer=optimizer, history=history)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    monkeypatch.undo()
    assert load_checkpoint(path).history.steps[-1] == 12


def test_a_write_that_fails_halfway_never_touches_the_target_file(trained, monkeypatch):
    """The archive is half written (some entries on disk) when the disk fills up: the old file must survive.

    np.savez writes entry after entry; the fake fails on the fourth, after writing part of it,
    so whatever file the archive was going to is left half-written.
    """
    model, optimizer, history, _, path = trained
    before = path.read_bytes()
    train(model, TRAIN_IDS, num_steps=3, optimizer=optimizer, history=history, **SETTINGS)
    real_write_array, calls = np.lib.format.write_array, {"n": 0}

    def write_array_then_fail(fp, array, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            fp.write(b"\x93NUMPY half of an entry")
            raise OSError(28, "No space left on device (simulated)")
        return real_write_array(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_array_then_fail)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, model, VOCAB, optimizer=optimizer, history=history)
    monkeypatch.undo()
    assert calls["n"] == 4  # the failure really happened in the middle of the archive
    assert path.read_bytes() == before  # not one byte of the old checkpoint changed
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # and no partial file lies next to it
    assert load_checkpoint(path).history.steps[-1] == 12


def test_a_new_checkpoint_is_not_visible_until_complete(tmp_path, monkeypatch):
    """Saving to a new name that fails halfway leaves no file at that name at all."""
    model = RNN(len(VOCAB), 6, seed=0)
    real_write_array, calls = np.lib.format.write_array, {"n": 0}

    def write_array_then_fail(fp, array, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # Ctrl-C while saving
        return real_write_array(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_array_then_fail)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "new.npz", model, VOCAB)
    assert list(tmp_path.iterdir()) == []


def test_saving_replaces_the_old_file(trained):
    model, optimizer, history, _, path = trained
    train(model, TRAIN_IDS, num_steps=3, optimizer=optimizer, history=history, **SETTINGS)
    save_checkpoint(path, model, VOCAB, optimizer=optimizer, history=history)
    assert load_checkpoint(path).history.steps[-1] == 15


def test_a_truncated_file_is_called_damaged(trained):
    *_, path = trained
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="damaged.*earlier checkpoint"):
        load_checkpoint(path)


def test_flipped_bytes_are_called_damaged(trained):
    *_, path = trained
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # zeros inside the stored arrays: the CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(path)


def test_files_that_are_not_ours(tmp_path):
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    with pytest.raises(CheckpointError, match="not a .npz archive.*save_checkpoint"):
        load_checkpoint(text_file)

    npy = tmp_path / "array.npy"
    np.save(npy, np.arange(3))
    with pytest.raises(CheckpointError, match="single numpy array"):
        load_checkpoint(npy)

    other_npz = tmp_path / "data.npz"
    np.savez(other_npz, x=np.arange(3), y=np.ones(2))
    with pytest.raises(CheckpointError, match=r"not an lstm-lab checkpoint \(its entries are: x, y\)"):
        load_checkpoint(other_npz)

    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, format=np.array(FORMAT), evil=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="pickled Python objects"):
        load_checkpoint(pickled)

    with pytest.raises(FileNotFoundError, match="No checkpoint at .*missing.npz"):
        load_checkpoint(tmp_path / "missing.npz")
    with pytest.raises(CheckpointError, match="is a folder"):
        load_checkpoint(tmp_path)


@pytest.mark.parametrize(("version", "fix"), [(VERSION + 1, "newer lstm-lab"), (0, "older lstm-lab")])
def test_another_format_version_is_refused_with_the_fix(tmp_path, version, fix):
    model = RNN(len(VOCAB), 6, seed=0)
    arrays = checkpoint_arrays(model, VOCAB)
    arrays["version"] = np.array(version)
    np.savez(tmp_path / "v.npz", **arrays)
    with pytest.raises(CheckpointError, match=f"format version {version}.*reads version {VERSION}.*{fix}"):
        load_checkpoint(tmp_path / "v.npz")


def test_a_missing_entry_is_named(tmp_path):
    arrays = checkpoint_arrays(RNN(len(VOCAB), 6, seed=0), VOCAB)
    del arrays["param/W_hh"]
    np.savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(CheckpointError, match="'param/W_hh' is missing"):
        load_checkpoint(tmp_path / "m.npz")


def test_a_vocabulary_that_does_not_match_the_text(trained):
    *_, path = trained
    with pytest.raises(CheckpointError, match=r"does not match the text.*'Z' \(U\+005A.*train a new model"):
        load_checkpoint(path, text="the Zebra sat")
    assert load_checkpoint(path, text="the cat").vocab == VOCAB  # fewer symbols than the vocabulary is fine


def test_saving_the_wrong_vocabulary_is_refused(tmp_path):
    model = RNN(len(VOCAB), 6, seed=0)
    with pytest.raises(CheckpointError, match=f"vocab_size is {len(VOCAB)}.*the vocabulary the model was built with"):
        save_checkpoint(tmp_path / "x.npz", model, Vocabulary.from_text("ab"))
    with pytest.raises(CheckpointError, match="NUL"):
        save_checkpoint(tmp_path / "x.npz", RNN(2, 4), Vocabulary.from_text("a\x00"))
    assert not (tmp_path / "x.npz").exists()


def test_optional_parts_may_be_left_out(tmp_path):
    model = RNN(len(VOCAB), 6, seed=0, dtype=np.float32)
    save_checkpoint(tmp_path / "bare.npz", model, VOCAB)
    ckpt = load_checkpoint(tmp_path / "bare.npz")
    assert ckpt.optimizer is None and ckpt.rng is None
    assert ckpt.history == History() and ckpt.history.train_state is None
    assert_same_training_state(ckpt.model, model)


def test_sgd_and_word_vocabularies_round_trip(tmp_path):
    words = Vocabulary.from_tokens(["Gregor", "woke", ".", "über"])
    model = LSTM(len(words), 5, seed=0, init="seed")
    save_checkpoint(tmp_path / "w.npz", model, words, optimizer=SGD(lr=0.3))
    ckpt = load_checkpoint(tmp_path / "w.npz", text="Gregor woke.")
    assert ckpt.vocab == words and ckpt.model.init == "seed"
    assert isinstance(ckpt.optimizer, SGD) and ckpt.optimizer.lr == 0.3


def test_checkpointer_keeps_the_latest_and_the_best(tmp_path, monkeypatch):
    scripted = iter([3.0, 2.0, 2.5, 1.5, 1.8, 1.9])  # best at steps 20 and 40
    monkeypatch.setattr("lstm_lab.train.evaluate_loss", lambda *args, **kwargs: next(scripted))
    model = RNN(len(VOCAB), 8, seed=0)
    saver = Checkpointer(tmp_path / "run.npz", VOCAB, every=25)
    history = train(model, TRAIN_IDS, val_ids=VAL_IDS, num_steps=60, eval_every=10, checkpoint=saver,
                    **{**SETTINGS, "log_every": 20})
    assert saver.best_path.name == "run-best.npz"
    assert (saver.best_step, saver.saved_step) == (40, 60)
    best = load_checkpoint(saver.best_path)
    # The history is logged at every saved step, so it ends where the parameters are.
    assert best.history.steps[-1] == 40 and best.history.val_loss[-1] == 1.5
    assert 25 in history.steps and 50 in history.steps  # saved every 25 steps
    latest = load_checkpoint(saver.path)
    assert latest.history == history
    assert_same_training_state(latest.model, model)


def test_checkpointer_saves_on_an_interrupt(tmp_path, capsys):
    model = RNN(len(VOCAB), 8, seed=0)
    saver = Checkpointer(tmp_path / "run.npz", VOCAB, every=100)

    def interrupt_at_step_10(history):
        if history.steps[-1] == 10:
            raise KeyboardInterrupt

    train(model, TRAIN_IDS, num_steps=50, callbacks=[interrupt_at_step_10], checkpoint=saver, **SETTINGS)
    assert saver.saved_step == 10
    assert "run.npz holds the same state" in capsys.readouterr().out
    assert_same_training_state(load_checkpoint(saver.path).model, model)


def test_rng_state_is_json_text(trained):
    *_, rng, path = trained
    with np.load(path, allow_pickle=False) as npz:
        state = json.loads(str(npz["rng/state"]))
    assert state["bit_generator"] == "PCG64"


def test_train_wants_a_checkpointer_not_a_path(tmp_path):
    model = RNN(len(VOCAB), 8, seed=0)
    with pytest.raises(ValueError, match=r"checkpoint must be a Checkpointer.*Checkpointer\('checkpoints/run.npz'"):
        train(model, TRAIN_IDS, num_steps=5, checkpoint=str(tmp_path / "run.npz"), **SETTINGS)
    assert list(tmp_path.iterdir()) == []
