"""Looking inside trained models: what single cells track, and how far gradients reach.

Two analyses:

- **Cells over the text.** Read a text with an LSTM, record every cell's value at every
  character (``cell_states``), and colour each character's background by one of them
  (``text_heatmap``). ``text_features`` turns the text into simple signals (inside a
  quotation? how far into the line? how far into the word?) and ``best_cells`` finds the
  cells whose values follow a signal most closely, as in Karpathy's char-RNN analyses.
  A best cell is only a finding if it beats null models, cells that cannot have learned
  the signal: ``search_with_controls`` compares it with untrained models' best cells and
  with the best cell when the signal is shifted in time against the cells.
- **Gradients against distance.** ``gradient_norms`` backpropagates the loss of ONE
  prediction, at the last step of a window, and measures ||dL/dh_t|| at every earlier step:
  how much the state k steps back can still learn from that prediction.

Shapes: B = batch, T = time steps, H = hidden width, V = vocabulary size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from lstm_lab.checks import check_ids
from lstm_lab.layers import embedding_forward, one_hot
from lstm_lab.losses import softmax_cross_entropy
from lstm_lab.lstm import GATE_PARAM_NAMES, LSTM, lstm_forward, lstm_step_backward, lstm_step_forward
from lstm_lab.rnn import RNN, rnn_forward, rnn_step_backward
from lstm_lab.widgets import new_figure

# ----------------------------------------------------------------------------------------------
# What single cells track
# ----------------------------------------------------------------------------------------------


def text_features(text: str) -> dict[str, np.ndarray]:
    """Simple signals over ``text``, one number per character, to compare cells against.

    Returns:
        dict of (T,) float arrays:

        - ``"inside quotes"``: 1.0 from an opening ``"`` to its closing ``"`` (both included), else 0.0;
        - ``"position in line"``: characters since the last newline (0 at a line start);
        - ``"position in word"``: letters since the word began (0 outside words).
    """
    T = len(text)
    quotes, line_pos, word_pos = np.zeros(T), np.zeros(T), np.zeros(T)
    inside, col, in_word = False, 0, 0
    for t, ch in enumerate(text):
        was_inside = inside
        if ch == '"':
            inside = not inside
        quotes[t] = float(was_inside or inside)  # both quote marks count as inside
        line_pos[t] = col
        col = 0 if ch == "\n" else col + 1
        in_word = in_word + 1 if ch.isalpha() else 0
        word_pos[t] = in_word
    return {"inside quotes": quotes, "position in line": line_pos, "position in word": word_pos}


def correlations(values: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson correlation of every cell with a feature.

    Args:
        values: (T, H) one value per character and cell (e.g. the cell state C).
        feature: (T,) one number per character.

    Returns:
        (H,) correlations in [-1, 1]; 0 for a cell (or feature) that never changes.
    """
    values = np.asarray(values, dtype=np.float64)
    feature = np.asarray(feature, dtype=np.float64)
    if values.ndim != 2 or feature.shape != values.shape[:1]:
        raise ValueError(
            f"values must be (T, H) and feature (T,) for the same T, got {values.shape} and {feature.shape}. "
            "Record values with gate_activations(model, vocab.encode(text)) and the feature with "
            "text_features(text) on the same text."
        )
    v = values - values.mean(axis=0)
    f = feature - feature.mean()
    denom = np.sqrt((v * v).sum(axis=0) * (f * f).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (v * f[:, None]).sum(axis=0) / denom
    return np.where(denom > 0, r, 0.0)


def best_cells(values: np.ndarray, feature: np.ndarray, top: int = 3) -> list[tuple[int, float]]:
    """The ``top`` cells whose values follow ``feature`` most closely, by |correlation|.

    Returns:
        [(cell index, correlation), ...], strongest first. A negative correlation is as good
        as a positive one: the cell tracks the feature with the sign flipped.
    """
    r = correlations(values, feature)
    order = np.argsort(-np.abs(r), kind="stable")[:top]
    return [(int(k), float(r[k])) for k in order]


def cell_states(model: LSTM, ids: np.ndarray) -> np.ndarray:
    """The cell state C_t after every character, reading ``ids`` from the zero state.

    The ``"C"`` entry of ``gate_activations`` without the other nine records (a few times
    faster on a long text).

    Args:
        model: an ``LSTM``. ids: (T,) integer ids.

    Returns:
        (T, H) array: row t is C_t.
    """
    ids = check_ids(ids, "ids", 1, model.vocab_size)
    p = {name: getattr(model, name).value for name in GATE_PARAM_NAMES}
    h, C = model.initial_state(1)
    out = np.empty((len(ids), model.hidden_size), dtype=model.dtype)
    for t, x in enumerate(one_hot(ids, model.vocab_size, dtype=model.dtype)):
        h, C, _ = lstm_step_forward(x[None, :], h, C, p)
        out[t] = C[0]
    return out


# ----------------------------------------------------------------------------------------------
# Null models: would a cell that learned nothing score as well?
# ----------------------------------------------------------------------------------------------


def best_abs_correlation(values: np.ndarray, feature: np.ndarray) -> float:
    """max_j |r_j|: how well the best of the (T, H) cells follows the (T,) feature."""
    return float(np.abs(correlations(values, feature)).max())


def shifted_null(
    values: np.ndarray, feature: np.ndarray, *, n_shifts: int = 20, min_shift: int | None = None, seed: int = 0
) -> np.ndarray:
    """Best |r| over all cells when the feature is moved in time against the cells.

    ``np.roll(feature, s)`` keeps the signal exactly as it is (its quotations are as long,
    its lines as long) and the cells exactly as they are, but breaks the alignment between
    them: whatever correlation the best cell still finds is chance. Shuffling the characters
    instead would be too easy a null: it turns a slowly varying signal into noise, and a
    slowly drifting cell correlates with a slowly varying signal by chance far more often
    than with noise.

    Args:
        values: (T, H) cells. feature: (T,) the signal.
        n_shifts: how many random shifts to try.
        min_shift: the smallest shift (and the smallest distance from a full turn);
            default T // 10, far beyond a quotation or a line.

    Returns:
        (n_shifts,) the best cell's |r| at each shift.
    """
    T = len(feature)
    min_shift = T // 10 if min_shift is None else int(min_shift)
    if not 0 < min_shift < T - min_shift:
        raise ValueError(f"min_shift must be between 1 and T / 2 = {T // 2}, got {min_shift}.")
    shifts = np.random.default_rng(seed).integers(min_shift, T - min_shift + 1, size=n_shifts)
    rolled = np.stack([np.roll(np.asarray(feature, dtype=np.float64), int(s)) for s in shifts])  # (n, T)
    return np.abs(_standardize(rolled.T).T @ _standardize(values)).max(axis=1)


def _standardize(values: np.ndarray) -> np.ndarray:
    """(T, H) -> columns with mean 0 and norm 1 (a constant column stays 0), so that the
    correlation of two columns is their dot product."""
    v = np.asarray(values, dtype=np.float64)
    v = v - v.mean(axis=0)
    norm = np.sqrt((v * v).sum(axis=0))
    return np.divide(v, norm, out=np.zeros_like(v), where=norm > 0)


@dataclass
class CellSearch:
    """One feature's best cell, beside its two null models.

    ``untrained`` holds the best |r| of each untrained model's cells, ``shifted`` the best |r|
    at each time shift. The cell counts as a finding when |r| beats the strongest null by
    ``margin``.
    """

    feature: str
    cell: int
    r: float
    untrained: np.ndarray
    shifted: np.ndarray
    margin: float

    @property
    def threshold(self) -> float:
        """The |r| a cell must exceed: the best null cell plus the margin."""
        return float(max(self.untrained.max(), self.shifted.max()) + self.margin)

    @property
    def beats_nulls(self) -> bool:
        return abs(self.r) > self.threshold

    def __str__(self) -> str:
        verdict = "beats both nulls" if self.beats_nulls else "no better than chance"
        return (f"{self.feature:<17} cell #{self.cell:<3} r = {self.r:+.2f}   untrained best "
                f"{self.untrained.max():.2f}   shifted best {self.shifted.max():.2f}   "
                f"needs > {self.threshold:.2f}: {verdict}")


def search_with_controls(
    values: np.ndarray,
    features: dict[str, np.ndarray],
    untrained_values: Sequence[np.ndarray],
    *,
    margin: float = 0.1,
    n_shifts: int = 20,
    seed: int = 0,
) -> list[CellSearch]:
    """For each feature: the best cell of ``values`` and both null models beside it.

    Args:
        values: (T, H) the trained model's cells over a text.
        features: {name: (T,) signal} over the same text (e.g. ``text_features``).
        untrained_values: one (T, H') array per untrained model, read over the same text.
        margin: how far above the strongest null the best cell must be to count.
        n_shifts, seed: for ``shifted_null``.

    Returns:
        one ``CellSearch`` per feature, in the order of ``features``.
    """
    if not untrained_values:
        raise ValueError("untrained_values is empty: read the text with at least one untrained model.")
    for i, u in enumerate(untrained_values):
        if np.shape(u)[:1] != np.shape(values)[:1]:
            raise ValueError(
                f"untrained_values[{i}] has shape {np.shape(u)}, but values has {np.shape(values)}: "
                "read the SAME text with every model."
            )
    out = []
    for name, signal in features.items():
        (k, r), = best_cells(values, signal, top=1)
        untrained = np.array([best_abs_correlation(u, signal) for u in untrained_values])
        shifted = shifted_null(values, signal, n_shifts=n_shifts, seed=seed)
        out.append(CellSearch(name, k, r, untrained, shifted, float(margin)))
    return out


def text_heatmap(
    text: str, values: np.ndarray, *, width: int = 80, title: str = "", cmap: str = "coolwarm",
    limit: float | None = None,
) -> Figure:
    """``text`` with each character's background coloured by one number, like a highlighter.

    Args:
        text: T characters; newlines start a new row, long lines wrap at ``width``.
        values: (T,) one value per character (e.g. one cell's state), blue negative, red positive.
        limit: values are coloured on [-limit, limit]; default the 98th percentile of |values|
            (one extreme value would otherwise wash out all the others).

    Returns:
        the Figure (one Axes).
    """
    import matplotlib.pyplot as plt

    values = np.asarray(values, dtype=np.float64)
    if values.shape != (len(text),):
        raise ValueError(f"values must have one number per character: shape ({len(text)},), got {values.shape}.")
    if limit is None:
        limit = float(np.percentile(np.abs(values), 98)) or 1.0  # an all-zero row would divide by 0
    colours = plt.get_cmap(cmap)((np.clip(values / limit, -1, 1) + 1) / 2)
    rows, row, col = [], 0, 0  # the (row, column) of every character
    for ch in text:
        if col >= width:
            row, col = row + 1, 0
        rows.append((row, col))
        row, col = (row + 1, 0) if ch == "\n" else (row, col + 1)
    n_rows = row + 1
    height = n_rows * 0.3 + (0.5 if title else 0.1)
    fig = new_figure((width * 0.16 + 0.4, height))
    ax = fig.add_axes((0.01, 0.01, 0.98, n_rows * 0.3 / height))
    background = np.ones((n_rows, width, 4))  # white where there is no character
    for (r, c), ch, colour in zip(rows, text, colours, strict=True):
        background[r, c] = colour
        shown = "⏎" if ch == "\n" else ch
        ax.text(c + 0.5, -r - 0.5, shown, ha="center", va="center", family="monospace", fontsize=11)
    # one image for all the boxes: far faster to build and draw than a patch per character
    ax.imshow(background, extent=(0, width, -n_rows, 0), aspect="auto", interpolation="nearest")
    ax.set_xlim(0, width)
    ax.set_ylim(-n_rows, 0)
    ax.axis("off")
    if title:
        fig.suptitle(title, x=0.01, y=0.99, ha="left", va="top", fontsize=13)
    return fig


# ----------------------------------------------------------------------------------------------
# How far gradients reach
# ----------------------------------------------------------------------------------------------


def _last_step_dlogits(logits_T: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """d loss / d logits for the cross-entropy of the last prediction only: (B, V) -> (B, V).

    Each row is the gradient of that window's OWN loss (softmax_cross_entropy averages over
    the batch, so its rows are scaled by 1/B; undo that).
    """
    _, dlogits = softmax_cross_entropy(logits_T[:, None, :], targets[:, None])
    return dlogits[:, 0] * logits_T.shape[0]


def gradient_norms(model: RNN | LSTM, inputs: np.ndarray, targets: np.ndarray) -> dict[str, np.ndarray]:
    """How strongly one prediction's loss reaches back to the earlier hidden states.

    The loss L is the cross-entropy of the prediction after the LAST input of each window.
    Backpropagation through time then gives dL/dh_t for every step t, through every path
    (for the LSTM that includes the cell state). Its norm, averaged over the batch, is
    returned against the distance k = T - 1 - t from the prediction.

    Args:
        model: an ``RNN`` or ``LSTM`` (trained or not).
        inputs: (B, T) ids. targets: (B,) the id following each window.

    Returns:
        dict of (T,) arrays indexed by distance k (k = 0 is the last step): ``"h"``, the mean
        of ||dL/dh_{T-1-k}|| over the batch; for an LSTM also ``"C"``, the mean norm of the
        gradient arriving at C_{T-1-k} ALONG THE CELL, from step T - k (Lesson 6's dC_next).
        ``"C"[0]`` is 0, since no step follows the last one: compare ``"C"[k] / "C"[1]``.
    """
    inputs = check_ids(inputs, "inputs", 2, model.vocab_size)
    targets = check_ids(targets, "targets", 1, model.vocab_size)
    B, T = inputs.shape
    if targets.shape != (B,):
        raise ValueError(f"targets must have shape (B,) = ({B},), one id per window, got {targets.shape}.")
    norms_h = np.zeros(T)
    if isinstance(model, LSTM):
        norms_C = np.zeros(T)
        p = {name: getattr(model, name).value for name in GATE_PARAM_NAMES}
        h0, C0 = model.initial_state(B)
        h, cache = lstm_forward(one_hot(inputs, model.vocab_size, dtype=model.dtype), h0, C0, p)
        dlogits = _last_step_dlogits(h[:, -1] @ model.W_y.value + model.b_y.value, targets)
        dh, dC = dlogits @ model.W_y.value.T, np.zeros_like(h0)
        for t in reversed(range(T)):
            norms_h[T - 1 - t] = np.linalg.norm(dh, axis=1).mean()
            norms_C[T - 1 - t] = np.linalg.norm(dC, axis=1).mean()
            _, dh, dC, _ = lstm_step_backward(dh, dC, cache.steps[t])  # dh, dC now for step t - 1
        return {"h": norms_h, "C": norms_C}
    if not isinstance(model, RNN):
        raise TypeError(f"expected an lstm_lab RNN or LSTM, got {type(model).__name__}.")
    x_proj, _ = embedding_forward(inputs, model.W_xh.value)
    h, caches = rnn_forward(x_proj, model.initial_state(B), None, model.W_hh.value, model.b_h.value)
    dlogits = _last_step_dlogits(h[:, -1] @ model.W_y.value + model.b_y.value, targets)
    dh = dlogits @ model.W_y.value.T
    for t in reversed(range(T)):
        norms_h[T - 1 - t] = np.linalg.norm(dh, axis=1).mean()
        _, dh, _, _, _ = rnn_step_backward(dh, caches[t])  # through tanh and W_hh: dh for step t - 1
    return {"h": norms_h}


def forget_products(model: LSTM, inputs: np.ndarray) -> np.ndarray:
    """How much of a gradient on the last cell state survives k steps back along the cell alone.

    Along the cell, dL/dC_{t-1} gets dL/dC_t * f_t (Lesson 6), so k steps back from the last
    step T - 1 the factor is f_{T-1} * f_{T-2} * ... * f_{T-k}, unit by unit. (The whole
    gradient also picks up contributions through h at every step; ``gradient_norms``
    measures that.)

    Args:
        model: an ``LSTM``. inputs: (B, T) ids, read from the zero state.

    Returns:
        (T + 1,) the product for k = 0 (1.0), 1, ..., T, averaged over the batch and the units.
    """
    inputs = check_ids(inputs, "inputs", 2, model.vocab_size)
    B, _ = inputs.shape
    p = {name: getattr(model, name).value for name in GATE_PARAM_NAMES}
    h0, C0 = model.initial_state(B)
    _, cache = lstm_forward(one_hot(inputs, model.vocab_size, dtype=model.dtype), h0, C0, p)
    f_back = np.stack([step.f for step in reversed(cache.steps)])  # (T, B, H), last step first
    products = np.cumprod(f_back.astype(np.float64), axis=0).mean(axis=(1, 2))
    return np.concatenate([[1.0], products])


def windows_with_targets(ids: np.ndarray, n: int, length: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random windows of ``length`` ids from a text, and the id after each.

    Returns:
        inputs (n, length), targets (n,).
    """
    ids = np.asarray(ids)
    if len(ids) <= length:
        raise ValueError(f"the text has {len(ids)} ids; windows of {length} need at least {length + 1}.")
    starts = np.random.default_rng(seed).integers(0, len(ids) - length, size=n)
    inputs = np.stack([ids[s : s + length] for s in starts])
    return inputs, ids[starts + length]


def relative_gradient(curve: np.ndarray, distance: int) -> float:
    """``curve[distance] / curve[0]``: the share of the gradient left ``distance`` steps back."""
    return float(curve[distance] / curve[0])
