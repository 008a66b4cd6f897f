"""Progress bars that end, in a saved notebook, as the line of their final state.

A ``tqdm.auto`` bar in a notebook is a widget. The notebook file stores the widget's text
at *creation* (``0%| 0/3000``), so every static view of a finished lesson (GitHub,
nbviewer, an HTML export, a printed handout) shows a run that seemingly never started.

``progress_bar`` shows the same live widget, but through a display handle, and when the bar
closes (the loop finished, ``break``, an exception, Ctrl-C) it replaces the widget with the
bar's last text line::

    training: 100%|██████████| 3000/3000 [00:41<00:00, 72.9step/s]

which is what the saved notebook keeps. Outside a notebook it is plain ``tqdm.auto``
(text on stderr). nbval ignores display updates, so it compares the bar as created with the
stored final line: ``tests/nbval_sanitize.cfg`` masks both as ``TQDM-BAR``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def in_notebook() -> bool:
    """True when ``tqdm.auto`` would draw a widget (an IPython kernel with ipywidgets)."""
    from tqdm.auto import tqdm as auto_tqdm
    from tqdm.notebook import tqdm as notebook_tqdm

    return issubclass(auto_tqdm, notebook_tqdm)


class ProgressBar:
    """A tqdm bar: ``update(n)``, ``close()``, a context manager, and iterable if given one.

    In a notebook its output is replaced by ``final_line`` on ``close`` (called for you at the
    end of a ``for`` loop over it, on ``break`` or an exception inside that loop, and on
    leaving a ``with`` block).
    """

    def __init__(self, iterable: Iterable[Any] | None = None, **kwargs: Any):
        self._handle = None
        self._closed = False
        if in_notebook():
            from IPython.display import display
            from tqdm.notebook import tqdm

            # display=False: we show the widget ourselves, through a handle we can update.
            self.bar = tqdm(iterable, display=False, **kwargs)
            self._handle = display(self.bar.container, display_id=True)
        else:
            from tqdm.auto import tqdm

            self.bar = tqdm(iterable, **kwargs)

    @property
    def n(self) -> int | float:
        """How far the bar has got (items or units done)."""
        return self.bar.n

    def final_line(self) -> str:
        """The bar as one line of text, e.g. ``'training: 100%|██████████| 30/30 [00:01<00:00, 29.1step/s]'``."""
        return str(self.bar)

    def update(self, n: int | float = 1) -> None:
        """Advance the bar by ``n``."""
        self.bar.update(n)

    def close(self) -> None:
        """Stop the bar; in a notebook its widget becomes its final line. A second call does nothing."""
        if self._closed:
            return
        self._closed = True
        line = self.final_line()  # before close(): the elapsed time of the run, not of the teardown
        self.bar.close()
        if self._handle is not None:
            from IPython.display import Pretty

            self._handle.update(Pretty(line))

    def __iter__(self) -> Iterator[Any]:
        try:
            yield from self.bar
        finally:  # also on break (the generator is closed) and on an exception in the loop body
            self.close()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def progress_bar(iterable: Iterable[Any] | None = None, **kwargs: Any) -> ProgressBar:
    """A progress bar over ``iterable`` (or a manual one: ``total=``, then ``update``/``close``).

    Args:
        iterable: what to loop over, or None for a bar advanced by ``update(n)``.
        **kwargs: passed to tqdm (``total``, ``desc``, ``unit``, ``unit_scale``, ...).

    Returns:
        a ``ProgressBar``. Use ``for x in progress_bar(xs, desc="epochs")``, or
        ``with progress_bar(total=n) as bar: ... bar.update(1)``, or call ``close()`` yourself
        in a ``finally``: a bar never closed stays a live widget, stored as its 0% line.
    """
    return ProgressBar(iterable, **kwargs)
