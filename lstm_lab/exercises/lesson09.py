"""Checkers for Lesson 9: pooling rare words."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_lab.checking import CheckResult, Mistake, check_function, register_solution
from lstm_lab.vocab import replace_rare


def check_replace_rare(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(tokens, min_count) -> tokens`` against ``lstm_lab.vocab.replace_rare`` (Lesson 9).

    Rare tokens (fewer than ``min_count`` occurrences) become ``"<unk>"``; the length is kept.
    """
    words = ["바다", "고양이", "할머니는", "불을", "켰다", ".", ",", "등대", "배", "아침"]

    def case(rng: np.random.Generator) -> tuple:
        n = int(rng.integers(12, 25))
        weights = np.linspace(1.0, 0.1, len(words))
        tokens = [words[i] for i in rng.choice(len(words), size=n, p=weights / weights.sum())]
        return tokens, int(rng.integers(2, 4))

    def as_ids(tokens: Any) -> Any:
        """Tokens -> ids over a shared table, so compare() can say where they differ."""
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            return tokens if tokens is None else np.asarray(tokens, dtype=object)
        table = {w: i for i, w in enumerate([*words, "<unk>"])}
        return np.array([table.get(t, -1) for t in tokens])  # -1: a token that was not in the input

    def at_most(tokens: list[str], min_count: int) -> list[str]:
        counts = Counter(tokens)
        return [t if counts[t] > min_count else "<unk>" for t in tokens]

    def dropped(tokens: list[str], min_count: int) -> list[str]:
        counts = Counter(tokens)
        return [t for t in tokens if counts[t] >= min_count]

    return check_function(
        "replace_rare",
        fn,
        replace_rare,
        case,
        output_names=["the tokens (shown as ids in the check's word list: 10 is '<unk>', -1 a word not in the input)"],
        select=as_ids,
        n_cases=4,
        mistakes=[
            Mistake("words seen exactly min_count times were replaced too: keep a word if its count is "
                    ">= min_count.", at_most),
            Mistake("rare words were removed; replace each by '<unk>' instead, so the text keeps its length "
                    "and the model learns where unknown words go.", dropped),
        ],
        pointer="count every token first (collections.Counter counts a list), then decide token by token; "
        "the result is a list as long as the input.",
    )


register_solution("replace_rare", replace_rare)
