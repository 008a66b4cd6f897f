"""Interactive explorers for the notebooks: sampling, the gates at work, and a training playground.

Each widget is a thin shell of ipywidgets controls around plain functions that do the
work and are tested on their own:

- ``sampling_explorer``: ``sampling_html`` (prime + continuation as HTML);
- ``gate_inspector``: ``gate_inspector_figure`` (heatmaps) and ``cursor_html``;
- ``training_playground``: ``playground_train`` (a short run) and ``loss_figure``.

Figures are made by ``new_figure`` (created by pyplot, which registers the notebook's
image display, and closed at once, so nothing is shown twice and nothing piles up between
redraws); a widget shows them as PNG images (``figure_png``). Executed without a browser
(nbval, nbconvert) the widgets are created and drawn once, which is why a lesson also
shows the plain function's output statically.

Each widget is a ``StaticViewBox``: its output carries, next to the live widget, an HTML copy
of what it shows (the sample, the gate plot as an image, the settings) and one line saying
that the live version needs a running kernel. A running notebook draws the widget; a static
view of the saved notebook (GitHub, nbviewer, nbconvert's HTML) has no widget state (the
lessons store none) and shows the copy instead of the ``VBox(children=...`` repr.
"""

from __future__ import annotations

import base64
import html
import io
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from lstm_lab.lstm import LSTM, gate_activations
from lstm_lab.optim import Adagrad
from lstm_lab.plotting import new_figure
from lstm_lab.sampling import sample
from lstm_lab.train import History, train

# ----------------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------------


def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes, for an ``ipywidgets.Image``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def _error_html(message: str) -> str:
    return f'<pre class="lstm-lab-error" style="color:#b00020;white-space:pre-wrap">{html.escape(message)}</pre>'


def png_html(png: bytes, alt: str) -> str:
    """PNG bytes as an HTML ``<img>`` (a data URI: the page needs no other file)."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" style="max-width:100%">'


#: The note in every static copy of a widget, after its title and settings.
LIVE_NOTE = ("a static copy of what this widget showed when the notebook was run; the live widget needs a "
             "running kernel (open the notebook in Jupyter and run its cells)")


class StaticViewBox(widgets.VBox):
    """A ``VBox`` whose output also holds a static HTML copy of itself, for views without a kernel.

    Args:
        children: the widget's controls and outputs, as for ``VBox``.
        title: what the widget is, e.g. ``"Sampling explorer"``.
        snapshot: () -> (settings, body): a one-line summary of the controls' values
            (plain text) and the HTML of what the widget shows right now. Called when the
            widget is displayed, so the copy is the state the reader would have seen.

    Its display bundle holds the widget view (drawn by a live notebook), ``text/html`` (the copy,
    chosen by nbconvert, nbviewer and other static views when no widget state is stored) and
    ``text/plain`` (title, settings and ``LIVE_NOTE``; never the ``VBox(children=...`` repr).
    JupyterLab, too, shows the copy for a saved notebook it does not trust (the widget view is
    not a "safe" output), until the cell runs again. The body sits between ``<!-- snapshot -->``
    markers so that nbval's sanitizer (tests/nbval_sanitize.cfg) can leave it out: sampled text
    and PNG bytes differ between CPUs.
    """

    def __init__(self, children: Sequence[Any], *, title: str, snapshot: Callable[[], tuple[str, str]],
                 **kwargs: Any):
        super().__init__(children, **kwargs)
        self._title = title
        self._snapshot = snapshot

    def static_text(self) -> str:
        """Title, settings and the live note, as plain text."""
        settings, _ = self._snapshot()
        return f"{self._title} ({settings}): {LIVE_NOTE}."

    def static_html(self) -> str:
        """The static copy: the note, then what the widget shows, as HTML."""
        settings, body = self._snapshot()
        note = (f'<p class="lstm-lab-static-note" style="color:#555;font-style:italic">'
                f"<b>{html.escape(self._title)}</b> ({html.escape(settings)}): {html.escape(LIVE_NOTE)}.</p>")
        return (f'<div class="lstm-lab-static-view" style="border-left:3px solid #bbb;padding-left:10px">{note}\n'
                f"<!-- snapshot -->\n{body}\n<!-- /snapshot -->\n</div>")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.static_text()
        bundle["text/html"] = self.static_html()
        return bundle


# ----------------------------------------------------------------------------------------------
# Sampling explorer
# ----------------------------------------------------------------------------------------------


def sampling_html(model: Any, vocab: Any, prime: str, temperature: float, length: int, seed: int) -> str:
    """A sample as HTML: the prime in bold, then ``length`` generated characters.

    Bad settings (a character the vocabulary does not know, temperature <= 0) give the
    error message in red instead of raising, so a widget never breaks mid-exploration.
    """
    try:
        continuation = sample(model, vocab, prime, length, temperature=temperature, seed=seed)
    except ValueError as err:
        return _error_html(str(err))
    return (
        '<pre class="lstm-lab-sample" style="white-space:pre-wrap;font-size:14px">'
        f"<b>{html.escape(prime)}</b>{html.escape(continuation)}</pre>"
    )


def sampling_explorer(
    model: Any, vocab: Any, *, prime: str = "Gregor", temperature: float = 0.8, length: int = 200, seed: int = 0
) -> Any:
    """Prime text, temperature, length and seed on controls; the sample regenerates on every change.

    Returns:
        a ``StaticViewBox`` (an ``ipywidgets.VBox``; display it, or end a cell with it).
    """
    prime_box = widgets.Text(value=prime, description="prime", continuous_update=False)
    seed_box = widgets.IntText(value=seed, description="seed")
    temp_slider = widgets.FloatSlider(
        value=temperature, min=0.1, max=2.0, step=0.1, description="temperature", readout_format=".1f",
        continuous_update=False, style={"description_width": "initial"},
    )
    temp_slider.add_class("lstm-lab-temperature")
    length_slider = widgets.IntSlider(value=length, min=20, max=600, step=20, description="length",
                                      continuous_update=False)
    output = widgets.HTML()
    output.add_class("lstm-lab-sample-output")

    def update(_: Any = None) -> None:
        output.value = sampling_html(model, vocab, prime_box.value, temp_slider.value, length_slider.value,
                                     seed_box.value)

    for control in (prime_box, seed_box, temp_slider, length_slider):
        control.observe(update, names="value")
    update()

    def snapshot() -> tuple[str, str]:
        settings = (f"prime {prime_box.value!r}, temperature {temp_slider.value:.1f}, "
                    f"length {length_slider.value}, seed {seed_box.value}")
        return settings, output.value

    box = StaticViewBox([widgets.HBox([prime_box, seed_box]), widgets.HBox([temp_slider, length_slider]), output],
                        title="Sampling explorer", snapshot=snapshot)
    box.add_class("lstm-lab-sampling-explorer")
    return box


# ----------------------------------------------------------------------------------------------
# Gate inspector
# ----------------------------------------------------------------------------------------------

#: What the inspector draws, top to bottom: (key in gate_activations' record, title, colour range).
GATE_PANELS = (
    ("f", "forget gate f", (0.0, 1.0)),
    ("i", "input gate i", (0.0, 1.0)),
    ("o", "output gate o", (0.0, 1.0)),
    ("C_tilde", "candidate C̃", (-1.0, 1.0)),
    ("C", "cell state C", None),
)


def busiest_units(record: dict[str, np.ndarray], n: int = 16) -> np.ndarray:
    """The ``n`` cells whose state C varies most over the text, in index order: (n,) ints."""
    spread = record["C"].std(axis=0)
    return np.sort(np.argsort(-spread, kind="stable")[:n])


def cursor_html(text: str, step: int) -> str:
    """``text`` as HTML with the character at ``step`` highlighted (newlines shown as ⏎)."""
    if not 0 <= step < len(text):
        raise ValueError(f"step must be in 0..{len(text) - 1} for a text of {len(text)} characters, got {step}.")
    shown = ["⏎" if ch == "\n" else ch for ch in text]
    before, here, after = (html.escape("".join(part)) for part in (shown[:step], shown[step], shown[step + 1 :]))
    return (
        '<pre class="lstm-lab-cursor" style="font-size:16px">'
        f'{before}<span style="background:#ffd54f;outline:2px solid #e65100">{here}</span>{after}</pre>'
    )


def gate_inspector_figure(
    record: dict[str, np.ndarray], text: str, step: int, *, units: Sequence[int] | None = None
) -> Figure:
    """f, i, o, the candidate and the cell state while reading ``text``, with one step highlighted.

    Args:
        record: from ``lstm_lab.lstm.gate_activations(model, vocab.encode(text))``: (T, H) arrays.
        text: the T characters that were read; they label the time axis.
        step: the time step to highlight (0..T-1); its column is outlined, its character red.
        units: which cells to show (rows); default ``busiest_units(record)``.

    Returns:
        a Figure with one heatmap per panel of ``GATE_PANELS`` (cells down, time across).
    """
    T = len(text)
    if record["C"].shape[0] != T:
        raise ValueError(f"the record has {record['C'].shape[0]} steps but the text {T} characters: "
                         "record the activations of this very text.")
    if not 0 <= step < T:
        raise ValueError(f"step must be in 0..{T - 1}, got {step}.")
    units = busiest_units(record) if units is None else np.asarray(units)
    fig = new_figure((max(8.0, 0.28 * T + 2.5), 1.45 * len(GATE_PANELS) + 1.0))
    axes = fig.subplots(len(GATE_PANELS), 1, sharex=True)
    ch = "⏎" if text[step] == "\n" else text[step]
    fig.suptitle(f"step {step}: reading {ch!r}   (rows: {len(units)} cells, columns: characters)", fontsize=14)
    for ax, (key, title, limits) in zip(axes, GATE_PANELS, strict=True):
        values = record[key][:, units].T  # (cells, T)
        if limits is None:
            m = float(np.abs(values).max()) or 1.0
            limits = (-m, m)
        cmap = "viridis" if limits[0] == 0.0 else "RdBu_r"
        image = ax.imshow(values, aspect="auto", cmap=cmap, vmin=limits[0], vmax=limits[1], interpolation="nearest")
        ax.add_patch(_column_outline(step, len(units)))
        ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize=12)
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, pad=0.01, fraction=0.03)
    axes[-1].set_xticks(range(T), ["⏎" if c == "\n" else c for c in text], family="monospace", fontsize=12)
    label = axes[-1].get_xticklabels()[step]
    label.set_color("#d00000")
    label.set_fontweight("bold")
    return fig


def _column_outline(step: int, n_rows: int) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((step - 0.5, -0.5), 1, n_rows, fill=False, edgecolor="#ff6f00", lw=2.5)


def gate_inspector(model: LSTM, vocab: Any, sentences: Sequence[str], *, n_units: int = 16) -> Any:
    """Pick or type a sentence, step through it with a slider, watch the gates.

    Args:
        model: a (trained) ``LSTM``.
        vocab: its vocabulary (to encode the sentence).
        sentences: suggestions for the sentence box; any text of known characters works.
        n_units: how many cells to show (the busiest on the chosen sentence).

    Returns:
        a ``StaticViewBox`` (an ``ipywidgets.VBox``).
    """
    if not sentences:
        raise ValueError("give at least one sentence to start from, e.g. sentences=['Gregor woke up.'].")
    sentence_box = widgets.Combobox(value=sentences[0], options=list(sentences), description="sentence",
                                    ensure_option=False, continuous_update=False,
                                    layout=widgets.Layout(width="60%"))
    step_slider = widgets.IntSlider(value=0, min=0, max=len(sentences[0]) - 1, description="step")
    cursor = widgets.HTML()
    image = widgets.Image(format="png")
    current: dict[str, Any] = {}

    def draw(_: Any = None) -> None:
        if "record" not in current:
            return
        text, step = current["text"], min(step_slider.value, len(current["text"]) - 1)
        cursor.value = cursor_html(text, step)
        fig = gate_inspector_figure(current["record"], text, step, units=current["units"])
        image.value = figure_png(fig)

    def load(_: Any = None) -> None:
        text = sentence_box.value
        try:
            if not text:
                raise ValueError("type a sentence (at least one character).")
            record = gate_activations(model, vocab.encode(text))
        except ValueError as err:
            current.clear()
            cursor.value = _error_html(str(err))
            return
        current.update(text=text, record=record, units=busiest_units(record, n_units))
        step_slider.max = len(text) - 1
        draw()

    sentence_box.observe(load, names="value")
    step_slider.observe(draw, names="value")
    load()

    def snapshot() -> tuple[str, str]:
        settings = f"sentence {sentence_box.value!r}, step {step_slider.value}"
        if "record" not in current:  # the sentence could not be read: the message says why
            return settings, cursor.value
        return settings, cursor.value + png_html(image.value, f"the gates at step {step_slider.value}")

    box = StaticViewBox([sentence_box, step_slider, cursor, image], title="Gate inspector", snapshot=snapshot)
    box.add_class("lstm-lab-gate-inspector")
    return box


# ----------------------------------------------------------------------------------------------
# Training playground
# ----------------------------------------------------------------------------------------------


def playground_train(
    train_ids: np.ndarray,
    val_ids: np.ndarray,
    vocab_size: int,
    *,
    hidden_size: int,
    lr: float,
    seq_length: int,
    clip: float,
    num_steps: int,
    batch_size: int = 16,
    seed: int = 0,
    callbacks: Sequence[Callable[[History], None]] = (),
) -> tuple[LSTM, History]:
    """A short LSTM training run with the playground's settings.

    Args:
        train_ids: (N,) ids; val_ids: (M,) ids.
        hidden_size, lr (Adagrad's learning rate), seq_length (T): as in Lesson 7.
        clip: clip every gradient entry to [-clip, clip]; 0 switches clipping off.
        num_steps: optimiser steps; the validation loss is measured five times.
        callbacks: passed to ``train`` (the widget redraws its plot with one).

    Returns:
        the trained float32 model and its History.
    """
    # Not `clip < 0`: nan is not < 0 either, and would silently switch clipping off.
    if isinstance(clip, bool) or not isinstance(clip, numbers.Real) or not (math.isfinite(clip) and clip >= 0):
        raise ValueError(f"clip must be a finite number >= 0 (0 switches clipping off), got {clip!r}. Try 5.0.")
    model = LSTM(vocab_size, hidden_size, seed=seed, dtype=np.float32)
    history = train(
        model, train_ids, val_ids=val_ids, num_steps=num_steps, batch_size=batch_size, seq_length=seq_length,
        optimizer=Adagrad(lr=lr), clip_value=clip if clip > 0 else None, eval_every=max(1, num_steps // 5),
        log_every=max(1, num_steps // 40), callbacks=callbacks,
    )
    return model, history


def loss_figure(history: History, title: str = "Loss per character") -> Figure:
    """Training and validation loss against steps, from a ``History``."""
    fig = new_figure((9, 4))
    ax = fig.subplots()
    ax.plot(history.steps, history.train_loss, color="#3b75af", lw=2.5, label="training")
    if history.val_steps:
        ax.plot(history.val_steps, history.val_loss, "o-", color="#d9822b", lw=2.5, label="validation")
    ax.set_xlabel("optimiser steps", fontsize=13)
    ax.set_ylabel("nats per character", fontsize=13)
    ax.set_title(title, fontsize=15)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False)
    return fig


def training_playground(train_ids: np.ndarray, val_ids: np.ndarray, vocab: Any, *, num_steps: int = 300) -> Any:
    """Hidden size, learning rate, sequence length and clipping on controls; press *train*.

    The loss plot redraws while the model trains (a few seconds for the default 300 steps),
    then a sample from the trained model appears under it.

    Returns:
        a ``StaticViewBox`` (an ``ipywidgets.VBox``).
    """
    style = {"description_width": "initial"}
    hidden = widgets.IntSlider(value=64, min=8, max=256, step=8, description="hidden size H", style=style)
    lr = widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0, step=0.25, description="learning rate",
                                style=style)
    seq = widgets.IntSlider(value=25, min=5, max=100, step=5, description="sequence length T", style=style)
    clip = widgets.FloatSlider(value=5.0, min=0.0, max=10.0, step=0.5, description="clip (0: off)", style=style)
    steps = widgets.IntSlider(value=num_steps, min=50, max=2000, step=50, description="steps", style=style)
    button = widgets.Button(description="train", button_style="primary", icon="play")
    image = widgets.Image(format="png")
    status = widgets.HTML()

    def redraw(history: History) -> None:
        image.value = figure_png(loss_figure(history, f"LSTM, H = {hidden.value}: loss per character"))

    def run(_: Any = None) -> None:
        button.disabled = True
        status.value = "training..."
        try:
            model, history = playground_train(
                train_ids, val_ids, len(vocab), hidden_size=hidden.value, lr=lr.value, seq_length=seq.value,
                clip=clip.value, num_steps=steps.value, callbacks=[redraw],
            )
        except Exception as err:  # show any failure (e.g. divergence) in the widget, not in a log
            status.value = _error_html(f"{type(err).__name__}: {err}")
        else:
            best = history.best_val_loss
            status.value = (
                f"<p>best validation loss <b>{best:.3f}</b> nats/char after {history.steps[-1]} steps "
                f"({history.seconds[-1]:.1f} s)</p>" + sampling_html(model, vocab, "Gregor", 0.8, 160, 0)
            )
        finally:
            button.disabled = False

    button.on_click(run)

    def snapshot() -> tuple[str, str]:
        settings = (f"hidden size H {hidden.value}, learning rate {lr.value:g}, sequence length T {seq.value}, "
                    f"clip {clip.value:g}, steps {steps.value}")
        if not image.value and not status.value:
            return settings, ("<p>Not trained yet: in a running notebook, <b>train</b> trains an LSTM with these "
                              "settings and shows its loss curve and a sample here.</p>")
        plot = png_html(image.value, "training and validation loss") if image.value else ""
        return settings, plot + status.value

    box = StaticViewBox([widgets.HBox([hidden, lr]), widgets.HBox([seq, clip]), widgets.HBox([steps, button]),
                         image, status], title="Training playground", snapshot=snapshot)
    box.add_class("lstm-lab-training-playground")
    return box
