"""A character LSTM built the way the seed notebook built it, for the speed comparison.

One character at a time, column vectors, float64: z = [h_prev; x] is (H + V, 1), each gate
matrix is (H, H + V), x is a freshly built one-hot column, every step's values are kept in
dicts, and the backward pass accumulates the gradients step by step. It trains correctly
(a test checks its gradients); it is slow because every step does sixteen small matrix
products and a few dozen tiny numpy calls, whose fixed cost dominates at this size.
Written for this benchmark; ``lstm_lab.lstm`` is the code the lessons teach.
"""

from __future__ import annotations

import numpy as np

GATES = ("f", "i", "C", "o")


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


class SeedStyleLSTM:
    """Per-step LSTM language model with column vectors.

    Args:
        vocab_size: V. hidden_size: H. seed: for the initial weights.

    Attributes:
        params: dict name -> (value, grad, Adagrad memory), names W_f, b_f, ..., W_v, b_v;
            gate W are (H, H + V), biases (H, 1), W_v (V, H), b_v (V, 1).
    """

    def __init__(self, vocab_size: int, hidden_size: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        V, H = vocab_size, hidden_size
        self.V, self.H = V, H
        self.params: dict[str, list[np.ndarray]] = {}
        for g in GATES:
            mean = 0.0 if g == "C" else 0.5  # the seed's sigmoid-gate weights sit around 0.5
            self._add(f"W_{g}", rng.normal(mean, 0.1, (H, H + V)))
            self._add(f"b_{g}", np.zeros((H, 1)))
        self._add("W_v", rng.normal(0.0, 0.1, (V, H)))
        self._add("b_v", np.zeros((V, 1)))

    def _add(self, name: str, value: np.ndarray) -> None:
        self.params[name] = [value, np.zeros_like(value), np.zeros_like(value)]

    def _value(self, name: str) -> np.ndarray:
        return self.params[name][0]

    def forward_backward(
        self, inputs: list[int], targets: list[int], h_prev: np.ndarray, C_prev: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """Loss over one window, gradients into ``params[name][1]``; returns (loss, h_T, C_T), each (H, 1)."""
        p = self._value
        z, f, i, C_bar, C, o, h, probs = {}, {}, {}, {}, {}, {}, {}, {}
        h[-1], C[-1] = h_prev, C_prev
        loss = 0.0
        for t, ix in enumerate(inputs):
            x = np.zeros((self.V, 1))
            x[ix] = 1.0
            z[t] = np.vstack((h[t - 1], x))
            f[t] = _sigmoid(np.dot(p("W_f"), z[t]) + p("b_f"))
            i[t] = _sigmoid(np.dot(p("W_i"), z[t]) + p("b_i"))
            C_bar[t] = np.tanh(np.dot(p("W_C"), z[t]) + p("b_C"))
            C[t] = f[t] * C[t - 1] + i[t] * C_bar[t]
            o[t] = _sigmoid(np.dot(p("W_o"), z[t]) + p("b_o"))
            h[t] = o[t] * np.tanh(C[t])
            v = np.dot(p("W_v"), h[t]) + p("b_v")
            e = np.exp(v - np.max(v))
            probs[t] = e / np.sum(e)
            loss -= float(np.log(probs[t][targets[t], 0]))

        for entry in self.params.values():
            entry[1].fill(0.0)
        grad = {name: entry[1] for name, entry in self.params.items()}
        dh_next, dC_next = np.zeros_like(h_prev), np.zeros_like(C_prev)
        H = self.H
        for t in reversed(range(len(inputs))):
            dv = probs[t].copy()
            dv[targets[t]] -= 1.0
            grad["W_v"] += np.dot(dv, h[t].T)
            grad["b_v"] += dv
            dh = np.dot(p("W_v").T, dv) + dh_next
            tanh_C = np.tanh(C[t])
            do = dh * tanh_C * o[t] * (1.0 - o[t])
            dC = dC_next + dh * o[t] * (1.0 - tanh_C**2)
            dC_bar = dC * i[t] * (1.0 - C_bar[t] ** 2)
            di = dC * C_bar[t] * i[t] * (1.0 - i[t])
            df = dC * C[t - 1] * f[t] * (1.0 - f[t])
            dz = np.zeros_like(z[t])
            for g, da in (("f", df), ("i", di), ("C", dC_bar), ("o", do)):
                grad[f"W_{g}"] += np.dot(da, z[t].T)
                grad[f"b_{g}"] += da
                dz += np.dot(p(f"W_{g}").T, da)
            dh_next = dz[:H]
            dC_next = f[t] * dC
        return loss, h[len(inputs) - 1], C[len(inputs) - 1]

    def train_step(
        self, inputs: list[int], targets: list[int], h_prev: np.ndarray, C_prev: np.ndarray, lr: float = 0.1
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """forward_backward, clip every gradient entry to [-5, 5], one Adagrad step."""
        loss, h, C = self.forward_backward(inputs, targets, h_prev, C_prev)
        for value, grad, memory in self.params.values():
            np.clip(grad, -5.0, 5.0, out=grad)
            memory += grad * grad
            value -= lr * grad / np.sqrt(memory + 1e-8)
        return loss, h, C
