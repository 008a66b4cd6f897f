"""Figures the lessons draw: each function draws one picture and returns its Figure.

They live here, not in the notebooks, so a lesson shows one line per picture and
the narrative stays in front; nothing here is needed to train a model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch, Rectangle

_SPECIAL = {" ": "␣", "\n": "↵", "\t": "⇥", "\ufeff": "BOM"}


def symbol_label(symbol: str) -> str:
    """A visible label for a symbol: space, newline and tab drawn as glyphs."""
    return _SPECIAL.get(symbol, symbol)


def char_frequencies(text: str, top: int | None = None) -> Figure:
    """Bar chart of how often each character occurs, most frequent first.

    Args:
        text: the corpus.
        top: draw only the ``top`` most frequent characters (all if None).
    """
    counts = Counter(text).most_common(top)
    labels = [symbol_label(c) for c, _ in counts]
    values = np.array([n for _, n in counts])
    fig, ax = plt.subplots(figsize=(16, 5))
    ax.bar(range(len(values)), values / len(text) * 100, color="#3b75af")
    ax.set_xticks(range(len(values)), labels, fontsize=13)
    ax.set_xlim(-0.7, len(values) - 0.3)
    ax.set_ylabel("% of all characters")
    ax.set_title(f"Character frequencies ({len(Counter(text))} distinct, {len(text):,} in all)")
    fig.tight_layout()
    return fig


def one_hot_matrix(text: str, symbols: Sequence[str], ids: np.ndarray) -> Figure:
    """The one-hot matrix of ``text``: one row per character, one column per symbol.

    Args:
        text: a short string (T characters).
        symbols: the vocabulary's symbols, in index order (V of them).
        ids: (T,) the indices of ``text``'s characters.
    """
    T, V = len(ids), len(symbols)
    X = np.zeros((T, V))
    X[np.arange(T), ids] = 1
    fig, ax = plt.subplots(figsize=(14, 0.45 * T + 1.6))
    ax.imshow(X, cmap="Greys", aspect="auto", vmin=0, vmax=1.4)
    ax.set_yticks(range(T), [f"{symbol_label(c)!s}  (id {i})" for c, i in zip(text, ids, strict=True)])
    ax.set_xticks(range(V), [symbol_label(s) for s in symbols], fontsize=9)
    ax.set_xlabel("vocabulary index (one column per symbol)")
    ax.set_title(f"one-hot rows: {T} characters × {V} symbols, a single 1 per row")
    ax.spines[:].set_visible(True)
    fig.tight_layout()
    return fig


def _boxes(ax, chars: str, x0: float, y: float, color: str) -> None:
    """One labelled box per character, left edge at x0."""
    for k, ch in enumerate(chars):
        ax.add_patch(Rectangle((x0 + k, y), 0.92, 0.8, facecolor=color, edgecolor="#333333"))
        ax.text(x0 + k + 0.46, y + 0.4, symbol_label(ch), ha="center", va="center", fontsize=15,
                family="monospace")


def windows_and_targets(text: str, seq_length: int, n_windows: int = 2) -> Figure:
    """Inputs and their next-character targets for consecutive windows of ``text``.

    Window k covers inputs text[kT:(k+1)T] and targets text[kT+1:(k+1)T+1]:
    each target is the input one step later.
    """
    T = seq_length
    fig, ax = plt.subplots(figsize=(min(18, 0.62 * T * n_windows + 3), 3.2))
    colors = ["#cfe2f3", "#fde2c4", "#d9ead3", "#ead1dc"]
    for k in range(n_windows):
        x0 = k * (T + 0.6)
        inputs = text[k * T:(k + 1) * T]
        targets = text[k * T + 1:(k + 1) * T + 1]
        _boxes(ax, inputs, x0, 1.6, colors[k % len(colors)])
        _boxes(ax, targets, x0, 0.0, "white")
        for j in range(len(inputs)):
            ax.add_patch(FancyArrowPatch((x0 + j + 0.46, 1.58), (x0 + j + 0.46, 0.82),
                                         arrowstyle="-|>", mutation_scale=10, color="#777"))
        ax.text(x0 + T / 2, 2.75, f"window {k}", ha="center", fontsize=14)
    ax.text(-0.4, 2.0, "inputs", ha="right", va="center", fontsize=14)
    ax.text(-0.4, 0.4, "targets", ha="right", va="center", fontsize=14)
    ax.set_xlim(-3.2, n_windows * (T + 0.6))
    ax.set_ylim(-0.3, 3.2)
    ax.axis("off")
    ax.set_title(f"T = {T}: every input character is asked to predict the one after it", fontsize=15)
    fig.tight_layout()
    return fig


def parallel_streams(n_symbols: int, batch_size: int, seq_length: int, n_windows_shown: int = 4) -> Figure:
    """How a text of ``n_symbols`` becomes ``batch_size`` streams walked in windows.

    Top: the text as one bar, cut into B coloured pieces. Bottom: the pieces
    stacked as the rows of a (B, L) array, with the first windows of T columns
    marked: a batch is one such column block, and row b of window k+1 continues
    row b of window k, so each row's hidden state is carried across.
    """
    B, T = batch_size, seq_length
    L = n_symbols // B
    cmap = plt.get_cmap("tab10")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(13, 2.2 + 0.45 * B),
                                      gridspec_kw={"height_ratios": [1, max(2, B * 0.6)]})
    for b in range(B):
        top.add_patch(Rectangle((b * L, 0), L, 1, facecolor=cmap(b % 10), alpha=0.75, edgecolor="white"))
        top.text((b + 0.5) * L, 0.5, f"stream {b}", ha="center", va="center", fontsize=12)
    top.set_xlim(0, n_symbols)
    top.set_ylim(0, 1)
    top.set_yticks([])
    top.set_xlabel("position in the text")
    top.set_title(f"{n_symbols:,} symbols cut into B = {B} streams of L = {L:,}")
    shown = n_windows_shown * T
    for b in range(B):
        bottom.add_patch(Rectangle((0, B - 1 - b), shown, 0.9, facecolor=cmap(b % 10), alpha=0.75))
    for k in range(n_windows_shown + 1):
        bottom.axvline(k * T, color="black", lw=1.5)
    for k in range(n_windows_shown):
        bottom.text((k + 0.5) * T, B + 0.15, f"batch {k}", ha="center", fontsize=12)
    bottom.set_xlim(0, shown)
    bottom.set_ylim(0, B + 0.8)
    bottom.set_yticks([B - 1 - b + 0.45 for b in range(B)], [f"row {b}" for b in range(B)])
    bottom.set_xlabel(f"column in the (B, L) array (first {n_windows_shown} windows of T = {T})")
    fig.tight_layout()
    return fig


def _node(ax, x: float, y: float, label: str, color: str, w: float = 1.1, h: float = 0.75) -> None:
    ax.add_patch(Rectangle((x - w / 2, y - h / 2), w, h, facecolor=color, edgecolor="#333", lw=1.5))
    ax.text(x, y, label, ha="center", va="center", fontsize=16)


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], label: str = "", **kw: Any) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16, lw=1.8,
                                 color=kw.get("color", "#444")))
    if label:
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        ax.text(mx + kw.get("dx", 0.12), my + kw.get("dy", 0.0), label, fontsize=13, color="#444",
                ha=kw.get("ha", "left"), va="center")


def unrolled_rnn(text: str = "Greg") -> Figure:
    """The RNN unrolled over ``len(text)`` steps: inputs, hidden states, predictions.

    The same three weight matrices act at every step; only the state h carries
    information from one step to the next.
    """
    T = len(text)
    fig, ax = plt.subplots(figsize=(2.6 * T + 2.5, 5.2))
    for t, ch in enumerate(text):
        x = 1.5 + 2.6 * t
        target = text[t + 1] if t + 1 < T else "?"
        _node(ax, x, 0.5, f"$x_{t + 1}$ '{ch}'", "#cfe2f3", w=1.6)
        _node(ax, x, 2.3, f"$h_{t + 1}$", "#fde2c4")
        _node(ax, x, 4.1, f"$p_{t + 1}$ → '{target}'", "#d9ead3", w=1.9)
        _arrow(ax, (x, 0.9), (x, 1.9), "$W_{xh}$")
        _arrow(ax, (x, 2.7), (x, 3.7), "$W_y$")
        _arrow(ax, (x - 2.6 + 0.58, 2.3), (x - 0.58, 2.3), "$W_{hh}$", dx=-0.45, dy=0.3)
    ax.text(1.5 - 2.6 + 0.5, 2.3, "$h_0$", fontsize=16, ha="center", va="center")
    ax.set_xlim(-1.4, 2.6 * T + 0.6)
    ax.set_ylim(-0.1, 4.8)
    ax.axis("off")
    ax.set_title("The RNN unrolled in time: the same weights at every step", fontsize=16)
    fig.tight_layout()
    return fig


def _op(ax, x: float, y: float, symbol: str, r: float = 0.32) -> None:
    """A pointwise operation (× or +) drawn as a circle on the data path."""
    ax.add_patch(Circle((x, y), r, facecolor="#f4cccc", edgecolor="#333", lw=1.8, zorder=3))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=22, zorder=4)


def _wire(ax, points: Sequence[tuple[float, float]], color: str = "#444", lw: float = 2.2, head: bool = True) -> None:
    """A polyline through ``points``, with an arrowhead on the last segment."""
    xs, ys = zip(*points, strict=True)
    ax.plot(xs[:-1], ys[:-1], color=color, lw=lw, solid_capstyle="round", zorder=1)
    ax.plot(xs[-2:], ys[-2:], color=color, lw=lw, zorder=1)
    if head:
        ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>", mutation_scale=22, lw=lw,
                                     color=color, shrinkA=0, shrinkB=0, zorder=2))


def lstm_cell() -> Figure:
    """One LSTM step drawn as a circuit, in the notation of ``lstm_lab.lstm``.

    Along the top, the cell state C_{t-1} -> (× f_t) -> (+ i_t × C_tilde_t) -> C_t: the
    only changes to it are one product and one sum. At the bottom, x_t and h_{t-1} are
    joined into z_t and feed the four gate layers (σ, σ, tanh, σ); on the right,
    h_t = o_t × tanh(C_t) leaves the cell.
    """
    fig, ax = plt.subplots(figsize=(14, 8.2))
    belt_y, gate_y, bus_y, in_y = 7.6, 3.7, 2.2, 1.0
    x_f, x_i, x_C, x_o, x_out = 3.5, 5.5, 7.5, 9.5, 11.4
    ax.add_patch(FancyBboxPatch((1.4, 0.45), 11.3, 7.95, boxstyle="round,pad=0.1,rounding_size=0.4",
                                facecolor="#f7f7f7", edgecolor="#999", lw=1.5, zorder=0))

    # The cell state: a conveyor belt along the top.
    belt = "#1f4e79"
    _wire(ax, [(0.2, belt_y), (x_f - 0.32, belt_y)], belt, lw=4, head=False)
    _wire(ax, [(x_f + 0.32, belt_y), (6.5 - 0.32, belt_y)], belt, lw=4, head=False)
    _wire(ax, [(6.5 + 0.32, belt_y), (13.9, belt_y)], belt, lw=4)
    ax.text(0.2, belt_y + 0.45, "$C_{t-1}$", fontsize=22, ha="left", color=belt)
    ax.text(13.9, belt_y + 0.45, "$C_t$", fontsize=22, ha="right", color=belt)
    ax.text(9.2, belt_y + 0.45, "cell state: only × and + touch it", fontsize=15, ha="center", color=belt,
            style="italic")
    _op(ax, x_f, belt_y, "×")
    _op(ax, 6.5, belt_y, "+")

    # Input: z_t = [x_t, h_{t-1}] on a bus under the gates.
    _wire(ax, [(0.2, in_y), (2.3, in_y), (2.3, bus_y)], head=False)
    _wire(ax, [(2.3, -0.3), (2.3, bus_y)], head=False)
    ax.text(0.2, in_y + 0.4, "$h_{t-1}$", fontsize=22, ha="left")
    ax.text(2.55, -0.2, "$x_t$", fontsize=22, ha="left", va="center")
    ax.add_patch(Circle((2.3, in_y), 0.09, color="#444", zorder=3))
    _wire(ax, [(2.3, bus_y), (x_o, bus_y)], head=False)
    ax.text(2.45, bus_y - 0.5, r"$z_t = [x_t,\ h_{t-1}]$", fontsize=17, ha="left", va="center")

    # The four gate layers: each reads z_t, has its own W and b.
    gates = [
        (x_f, r"$\sigma$", "#fde2c4", "forget", "$f_t$"),
        (x_i, r"$\sigma$", "#fde2c4", "input", "$i_t$"),
        (x_C, "tanh", "#d9ead3", "candidate", r"$\tilde C_t$"),
        (x_o, r"$\sigma$", "#fde2c4", "output", "$o_t$"),
    ]
    w, h = 1.5, 1.1
    for x, fn, color, name, symbol in gates:
        _wire(ax, [(x, bus_y), (x, gate_y - h / 2)])
        ax.add_patch(Rectangle((x - w / 2, gate_y - h / 2), w, h, facecolor=color, edgecolor="#333", lw=1.8,
                               zorder=3))
        ax.text(x, gate_y + 0.17, fn, ha="center", va="center", fontsize=21 if fn != "tanh" else 17, zorder=4)
        ax.text(x, gate_y - 0.3, name, ha="center", va="center", fontsize=14, color="#555", zorder=4)
        right = x != x_o  # o_t's wire turns right, so its label goes on the left
        ax.text(x + (0.12 if right else -0.12), gate_y + 1.05, symbol, ha="left" if right else "right",
                va="center", fontsize=20)

    # f_t scales the old cell; i_t × C_tilde_t is added to it.
    _wire(ax, [(x_f, gate_y + h / 2), (x_f, belt_y - 0.32)])
    mul_y = 5.7
    _op(ax, 6.5, mul_y, "×")
    _wire(ax, [(x_i, gate_y + h / 2), (x_i, mul_y), (6.5 - 0.32, mul_y)])
    _wire(ax, [(x_C, gate_y + h / 2), (x_C, mul_y), (6.5 + 0.32, mul_y)])
    _wire(ax, [(6.5, mul_y + 0.32), (6.5, belt_y - 0.32)])

    # h_t = o_t × tanh(C_t).
    tanh_y, out_y = 5.9, 4.5
    _wire(ax, [(x_out, belt_y), (x_out, tanh_y + 0.33)])
    ax.add_patch(Ellipse((x_out, tanh_y), 1.25, 0.66, facecolor="#d9ead3", edgecolor="#333", lw=1.8, zorder=3))
    ax.text(x_out, tanh_y, "tanh", ha="center", va="center", fontsize=17, zorder=4)
    _op(ax, x_out, out_y, "×")
    _wire(ax, [(x_out, tanh_y - 0.33), (x_out, out_y + 0.32)])
    _wire(ax, [(x_o, gate_y + h / 2), (x_o, out_y), (x_out - 0.32, out_y)])
    _wire(ax, [(x_out, out_y - 0.32), (x_out, in_y), (13.9, in_y)])
    ax.text(13.9, in_y + 0.4, "$h_t$", fontsize=22, ha="right")
    ax.text(13.9, in_y - 0.45, "to the output layer\nand the next step", fontsize=13, ha="right", va="top",
            color="#555")

    ax.set_xlim(0, 14.1)
    ax.set_ylim(-0.6, 8.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("One LSTM step", fontsize=18)
    fig.tight_layout()
    return fig
