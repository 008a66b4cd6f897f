"""Show the package's own code in a lesson, so the notebook never keeps a copy."""

from __future__ import annotations

import inspect
from typing import Any


def source(obj: Any) -> Any:
    """The source of a function or class as a highlighted code block.

    A lesson calls ``show.source(rnn_step_forward)`` to put the real implementation
    in front of the learner: what is shown is exactly what runs.
    """
    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")
