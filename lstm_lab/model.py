"""What a model is: the methods every character model of the course offers.

``train``, ``checkpoint``, ``sampling``, ``longrange`` and ``inside`` never ask which
model they were given; they call the methods below, so a new recurrent cell (a GRU, say)
works with all of them once its class has these methods and one line in the registry
``checkpoint.MODELS``. ``isinstance(model, Model)`` checks that the methods exist (not
their signatures: that is what the tests are for).

This module imports nothing from ``lstm_lab``: it sits at the bottom of the import
graph, and every other module may depend on it.

Adding a cell type, e.g. ``lstm_lab/gru.py``'s ``GRU``:

1. the class, with the methods below: ``checks.check_model_args`` and ``checks.check_state``
   validate its arguments and states as every model's are, and ``window_loss.window_loss``
   gives ``loss`` and ``evaluate`` from its ``forward`` and ``backward``;
2. one line in ``checkpoint.MODELS``: ``"GRU": "lstm_lab.gru:GRU"``.

Shapes: B = batch, T = time steps, H = hidden width, V = vocabulary size. A *state* is
whatever the model carries from one symbol to the next: an RNN's is h (B, H), an LSTM's
the tuple (h, C). Callers only pass it on; ``initial_state`` makes the first one.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class ParamLike(Protocol):
    """A learnable array with its gradient (``lstm_lab.params.Param``).

    ``state`` is the optimiser's memory for this array (e.g. Adagrad's sum of squares).
    """

    name: str
    value: np.ndarray
    grad: np.ndarray
    state: dict[str, Any]


@runtime_checkable
class Model(Protocol):
    """A character-level language model: ids in, next-id scores out.

    Attributes:
        vocab_size: V. hidden_size: H. dtype: the float type of parameters and states.
        params: every ParamLike, in a fixed order (optimisers and checkpoints walk it).
        W_y: (H, V) and b_y: (V,), the output layer logits_t = h_t W_y + b_y.
    """

    vocab_size: int
    hidden_size: int
    dtype: np.dtype
    params: list[Any]
    W_y: Any
    b_y: Any

    # -- building and saving ---------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The constructor arguments that fix the parameters' shapes and dtype, as JSON-able values."""
        ...

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Model:
        """A new model built from ``config()``'s output (its weights are then overwritten)."""
        ...

    # -- what training and sampling call ------------------------------------------------------

    def initial_state(self, batch_size: int) -> Any:
        """The zero state for ``batch_size`` rows."""
        ...

    def forward(self, inputs: np.ndarray, state: Any) -> tuple[np.ndarray, Any, Any]:
        """(B, T) ids and a state -> logits (B, T, V), the final state, a cache for ``backward``."""
        ...

    def backward(self, dlogits: np.ndarray, cache: Any) -> None:
        """Backpropagate (B, T, V) ``dlogits``; OVERWRITES every ``grad`` in ``params``."""
        ...

    def loss(self, inputs: np.ndarray, targets: np.ndarray, state: Any) -> tuple[float, Any]:
        """Forward and backward on one window: (loss summed over T, averaged over B; final state)."""
        ...

    def evaluate(self, inputs: np.ndarray, targets: np.ndarray, state: Any) -> tuple[float, Any]:
        """``loss`` without the backward pass: every ``grad`` left as it is."""
        ...

    def step(self, ids: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        """One symbol: ids (B,) -> logits (B, V) and the next state."""
        ...

    # -- what the analyses call (longrange, inside) -------------------------------------------

    def hidden_forward(self, inputs: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        """The recurrence alone: (B, T) ids -> h (B, T, H) after every step, and a cache."""
        ...

    def hidden_backward(self, dh: np.ndarray, cache: Any) -> None:
        """Backpropagate (B, T, H) ``dh``; OVERWRITES the grads of every parameter but W_y, b_y."""
        ...

    def unroll(self, inputs: np.ndarray) -> tuple[np.ndarray, list[Any]]:
        """The step-by-step forward pass from the zero state: h (B, T, H) and one cache per step."""
        ...

    def state_gradients(self, dh_last: np.ndarray, steps: list[Any]) -> dict[str, np.ndarray]:
        """Backpropagate (B, H) ``dh_last``, a gradient on the LAST hidden state only, step by step.

        Args:
            dh_last: (B, H) dL/dh_{T-1}.
            steps: the per-step caches from ``unroll``.

        Returns:
            for each part of the state, a (T, B, H) array indexed by the distance k from the
            last step: ``"h"``[k] is dL/dh_{T-1-k}; a cell with a memory lane adds the gradient
            arriving at it from the step after (the LSTM's ``"C"``). No ``grad`` is touched.
        """
        ...


@runtime_checkable
class GatedModel(Model, Protocol):
    """A model whose cell has gates (the LSTM; a GRU would be one too)."""

    def gate_values(self) -> dict[str, np.ndarray]:
        """The gate parameters' current values by name (e.g. ``W_f``, ``b_f``), not copies."""
        ...


def missing_methods(obj: object, protocol: type = Model) -> list[str]:
    """The attributes of ``protocol`` that ``obj`` lacks (empty if it has them all)."""
    names = [n for n in dir(protocol) if not n.startswith("_")]
    names += [n for cls in protocol.__mro__ for n in vars(cls).get("__annotations__", {})]
    return sorted({n for n in names if not hasattr(obj, n)})


def check_model(model: object, protocol: type = Model) -> None:
    """Raise TypeError naming what is missing unless ``model`` has every attribute of ``protocol``."""
    missing = missing_methods(model, protocol)
    if missing:
        raise TypeError(
            f"expected a model such as an lstm_lab RNN or LSTM, got {type(model).__name__}, which lacks "
            f"{', '.join(missing)}. Build one with RNN(vocab_size, hidden_size) or LSTM(vocab_size, hidden_size), "
            "or give your class the methods of lstm_lab.model.Model."
        )
