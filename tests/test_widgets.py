"""The widgets' plain functions, and the widgets wired to them (without a browser)."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_lab import widgets as wl
from lstm_lab.lstm import LSTM, gate_activations
from lstm_lab.sampling import sample
from lstm_lab.vocab import Vocabulary

TEXT = "Gregor woke up. His sister came in.\n\"Mother!\" she called, and the door opened.\n" * 20


@pytest.fixture(scope="module")
def vocab():
    return Vocabulary.from_text(TEXT)


@pytest.fixture(scope="module")
def model(vocab):
    return LSTM(len(vocab), 12, seed=0)


def test_sampling_html_is_the_prime_and_the_sample(model, vocab):
    got = wl.sampling_html(model, vocab, "Greg", 0.7, 30, seed=3)
    expected = sample(model, vocab, "Greg", 30, temperature=0.7, seed=3)
    assert 'class="lstm-lab-sample"' in got and "<b>Greg</b>" in got
    import html

    assert html.escape(expected) in got


def test_sampling_html_reports_errors_instead_of_raising(model, vocab):
    unknown = wl.sampling_html(model, vocab, "Grégor", 0.7, 30, seed=0)
    assert "lstm-lab-error" in unknown and "is not in its vocabulary" in unknown and "U+00E9" in unknown
    assert "temperature must be" in wl.sampling_html(model, vocab, "G", 0.0, 30, seed=0)
    assert "prime must be" in wl.sampling_html(model, vocab, "", 1.0, 30, seed=0)


def test_sampling_explorer_regenerates_on_every_change(model, vocab):
    box = wl.sampling_explorer(model, vocab, prime="Greg", temperature=0.8, length=40, seed=0)
    output = box.children[2]
    first = output.value
    assert first == wl.sampling_html(model, vocab, "Greg", 0.8, 40, 0)
    temperature = box.children[1].children[0]
    temperature.value = 1.5
    assert output.value == wl.sampling_html(model, vocab, "Greg", 1.5, 40, 0) != first
    box.children[0].children[0].value = "His"  # the prime
    assert "<b>His</b>" in output.value
    box.children[0].children[1].value = 7  # the seed
    assert output.value == wl.sampling_html(model, vocab, "His", 1.5, 40, 7)


def test_cursor_html_marks_exactly_one_character():
    got = wl.cursor_html("a<b\nc", 3)
    assert got.count("<span") == 1 and "a&lt;b<span" in got and ">⏎</span>c" in got
    with pytest.raises(ValueError, match="step must be in 0..4"):
        wl.cursor_html("a<b\nc", 5)


def test_gate_inspector_figure_shows_each_panel_and_highlights_the_step(model, vocab):
    text = "Gregor woke up."
    record = gate_activations(model, vocab.encode(text))
    fig = wl.gate_inspector_figure(record, text, step=7, units=[0, 3, 5])
    heatmaps = [ax for ax in fig.axes if ax.images and ax.get_ylabel()]
    assert [ax.get_ylabel() for ax in heatmaps] == [title for _, title, _ in wl.GATE_PANELS]
    for ax, (key, _, _) in zip(heatmaps, wl.GATE_PANELS, strict=True):
        np.testing.assert_array_equal(ax.images[0].get_array(), record[key][:, [0, 3, 5]].T)
        assert ax.patches[0].get_x() == pytest.approx(6.5)  # the outlined column is step 7
    labels = heatmaps[-1].get_xticklabels()
    assert [lab.get_text() for lab in labels] == list(text)
    assert labels[7].get_color() == "#d00000" and labels[6].get_color() != "#d00000"
    assert "'w'" in fig.texts[0].get_text()
    with pytest.raises(ValueError, match="this very text"):
        wl.gate_inspector_figure(record, text + "!", step=0)


def test_busiest_units_pick_the_cells_that_vary_most():
    C = np.zeros((10, 5))
    C[:, 3] = np.arange(10)
    C[:, 1] = np.arange(10) * 0.5
    assert wl.busiest_units({"C": C}, n=2).tolist() == [1, 3]


def test_gate_inspector_follows_slider_and_sentence(model, vocab):
    box = wl.gate_inspector(model, vocab, ["Gregor woke up.", "His sister."], n_units=4)
    sentence, slider, cursor, image = box.children
    assert slider.max == len("Gregor woke up.") - 1 and image.value[:4] == b"\x89PNG"
    slider.value = 3
    assert cursor.value == wl.cursor_html("Gregor woke up.", 3)
    sentence.value = "His sister."
    assert slider.max == len("His sister.") - 1
    assert cursor.value == wl.cursor_html("His sister.", 3)
    sentence.value = "Grégor"
    assert "Unknown character" in cursor.value
    with pytest.raises(ValueError, match="at least one sentence"):
        wl.gate_inspector(model, vocab, [])


def test_playground_train_runs_with_the_chosen_settings(vocab):
    ids = vocab.encode(TEXT)
    seen = []
    model, history = wl.playground_train(ids[:1200], ids[1200:], len(vocab), hidden_size=8, lr=0.1,
                                         seq_length=10, clip=0.0, num_steps=40, callbacks=[seen.append])
    assert model.hidden_size == 8 and model.dtype == np.float32
    assert history.steps[-1] == 40 and len(history.val_loss) == 5 and seen
    assert history.train_loss[-1] < history.train_loss[0]
    with pytest.raises(ValueError, match="clip must be a finite number >= 0"):
        wl.playground_train(ids, ids, len(vocab), hidden_size=8, lr=0.1, seq_length=10, clip=-1.0, num_steps=1)


def test_loss_figure_draws_both_curves(vocab):
    ids = vocab.encode(TEXT)
    _, history = wl.playground_train(ids[:1200], ids[1200:], len(vocab), hidden_size=8, lr=0.1, seq_length=10,
                                     clip=5.0, num_steps=20)
    ax = wl.loss_figure(history).axes[0]
    train_line, val_line = ax.get_lines()
    assert list(train_line.get_xdata()) == history.steps and list(val_line.get_ydata()) == history.val_loss


def test_training_playground_button_trains_and_reports(vocab):
    ids = vocab.encode(TEXT * 3)
    box = wl.training_playground(ids[:3600], ids[3600:], vocab, num_steps=50)
    hidden = box.children[0].children[0]
    hidden.value = 8
    button, image, status = box.children[2].children[1], box.children[3], box.children[4]
    assert image.value == b""
    button.click()
    assert image.value[:4] == b"\x89PNG"
    assert "best validation loss" in status.value and "lstm-lab-sample" in status.value
    assert not button.disabled


def test_figure_png_is_a_png():
    assert wl.figure_png(wl.new_figure((2, 2)))[:8] == b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------------------------------
# Static copies: what a view without a kernel (nbconvert HTML, nbviewer) shows instead of the widget
# ----------------------------------------------------------------------------------------------

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _bundle(box):
    """The display bundle a notebook stores for ``box`` (what IPython's formatter asks for)."""
    bundle = box._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"] == box.model_id  # a live notebook still draws the widget
    assert "VBox(" not in bundle["text/plain"] and wl.LIVE_NOTE in bundle["text/plain"]
    assert bundle["text/html"].count(wl.LIVE_NOTE) == 1
    return bundle


def _sanitized(text):
    import re
    from pathlib import Path

    from nbval.plugin import get_sanitize_patterns

    cfg = Path(__file__).with_name("nbval_sanitize.cfg").read_text(encoding="utf-8")
    for regex, replace in get_sanitize_patterns(cfg):
        text = re.sub(regex, replace, text)
    return text


def _embedded_png(page_html):
    import base64
    import re

    found = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page_html)
    return [base64.b64decode(data) for data in found]


def test_sampling_explorer_stores_its_sample_and_settings_as_html(model, vocab):
    box = wl.sampling_explorer(model, vocab, prime="Greg", temperature=0.8, length=40, seed=0)
    bundle = _bundle(box)
    assert 'class="lstm-lab-static-view"' in bundle["text/html"] and box.children[2].value in bundle["text/html"]
    assert "prime 'Greg', temperature 0.8, length 40, seed 0" in bundle["text/plain"]
    assert "prime &#x27;Greg&#x27;, temperature 0.8, length 40, seed 0" in bundle["text/html"]
    box.children[1].children[0].value = 1.5  # the copy is the state when displayed, not at creation
    bundle = _bundle(box)
    assert box.children[2].value in bundle["text/html"] and "temperature 1.5" in bundle["text/plain"]


def test_gate_inspector_stores_the_cursor_and_the_gate_plot_as_an_image(model, vocab):
    box = wl.gate_inspector(model, vocab, ["Gregor woke up."], n_units=4)
    sentence, slider, cursor, image = box.children
    slider.value = 4
    html = _bundle(box)["text/html"]
    assert cursor.value in html and "step 4" in html
    assert _embedded_png(html) == [image.value]
    sentence.value = "Grégor"  # unreadable: the copy shows the message, and no stale plot
    html = _bundle(box)["text/html"]
    assert "Unknown character" in html and "<img" not in html


def test_training_playground_stores_its_settings_then_its_result(vocab):
    ids = vocab.encode(TEXT * 3)
    box = wl.training_playground(ids[:3600], ids[3600:], vocab, num_steps=50)
    box.children[0].children[0].value = 8
    before = _bundle(box)["text/html"]
    assert "hidden size H 8, learning rate 0.1, sequence length T 25, clip 5, steps 50" in before
    assert "Not trained yet" in before and "<img" not in before
    box.children[2].children[1].click()
    after = _bundle(box)["text/html"]
    assert _embedded_png(after) == [box.children[3].value] and "best validation loss" in after


def test_nbval_compares_the_note_and_settings_but_not_the_sampled_text(model, vocab):
    first = _bundle(wl.sampling_explorer(model, vocab, prime="Greg", length=40, seed=0))["text/html"]
    other_seed = _bundle(wl.sampling_explorer(model, vocab, prime="Greg", length=40, seed=1))["text/html"]
    other_length = _bundle(wl.sampling_explorer(model, vocab, prime="Greg", length=60, seed=0))["text/html"]
    assert first != other_seed and _sanitized(first).replace("seed 0", "seed 1") == _sanitized(other_seed)
    assert "<!-- snapshot: not compared -->" in _sanitized(first) and "<b>Greg</b>" not in _sanitized(first)
    assert _sanitized(first) != _sanitized(other_length)  # the settings line is still compared
