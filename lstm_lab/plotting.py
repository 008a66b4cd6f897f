"""Plot style for lessons shown on a projector, figures made to be returned, and the live loss plot."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure


def lesson_style() -> None:
    """Large fonts, thick lines, no top/right spines: readable from the back row."""
    mpl.rcParams.update({
        "figure.figsize": (10, 4.5),
        "figure.dpi": 80,
        "font.size": 14,
        "axes.titlesize": 16,
        "axes.labelsize": 14,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "lines.linewidth": 2.5,
        "legend.fontsize": 13,
        "legend.frameon": False,
    })


def new_figure(figsize: tuple[float, float]) -> Figure:
    """A Figure that is shown only where it is returned or displayed, never automatically.

    Created by pyplot (which registers the notebook's image display) and closed at once, so
    nothing is shown twice and nothing piles up between redraws.
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    plt.close(fig)  # pyplot forgets it: no second copy at the end of the cell
    return fig


class LivePlot:
    """A loss plot that redraws one figure in place while a model trains.

    Pass it to ``train(..., callbacks=[plot])``. It shows the figure once with a
    display id and afterwards updates that same output, so a notebook stores a
    single figure (the final one) instead of one per update.

    Args:
        title: the figure's title.
        log_scale: a logarithmic loss axis (useful over long runs).
        x: ``"steps"`` or ``"chars"`` (characters seen) on the horizontal axis.
        references: horizontal lines to compare against, e.g. {"uniform: ln V": 4.14}.
        every: redraw after every this many history entries (a redraw costs ~30 ms);
            the final state is always drawn when training ends.
    """

    def __init__(
        self,
        title: str = "Loss per character",
        *,
        log_scale: bool = False,
        x: str = "steps",
        references: dict[str, float] | None = None,
        every: int = 1,
    ) -> None:
        if x not in ("steps", "chars"):
            raise ValueError(f"x must be 'steps' or 'chars', got {x!r}")
        import matplotlib.pyplot as plt

        self.x, self.every, self._calls, self._handle = x, max(1, int(every)), 0, None
        self.fig, self.ax = plt.subplots(figsize=(10, 4.5))
        plt.close(self.fig)  # shown through the display handle only, never twice
        self.ax.set_title(title)
        self.ax.set_xlabel("optimiser steps" if x == "steps" else "characters seen")
        self.ax.set_ylabel("nats per character")
        if log_scale:
            self.ax.set_yscale("log")
        (self.train_line,) = self.ax.plot([], [], label="training", color="#3b75af")
        (self.val_line,) = self.ax.plot([], [], "o-", label="validation", color="#d9822b", markersize=5)
        for k, (label, value) in enumerate((references or {}).items()):
            self.ax.axhline(value, ls="--", lw=1.5, color=f"C{k + 2}", label=label)
        self.ax.legend(loc="upper right")

    def __call__(self, history: Any) -> None:
        self._calls += 1
        if self._calls % self.every == 0:
            self.draw(history)

    def on_train_end(self, history: Any) -> None:
        """Draw the final state, whatever ``every`` skipped."""
        if history.steps:
            self.draw(history)

    def draw(self, history: Any) -> None:
        """Redraw from ``history`` (a ``lstm_lab.train.History``) and update the output."""
        from IPython.display import display

        per_step = history.chars[-1] / history.steps[-1] if history.steps else 1
        scale = 1 if self.x == "steps" else per_step
        self.train_line.set_data(np.asarray(history.steps) * scale, history.train_loss)
        self.val_line.set_data(np.asarray(history.val_steps) * scale, history.val_loss)
        self.ax.relim()
        self.ax.autoscale_view()
        if self._handle is None:
            self._handle = display(self.fig, display_id=True)
        else:
            self._handle.update(self.fig)
