"""Checkers for Lesson 8: the learner's diagnosis of each planted bug, and next-word accuracy.

A diagnosis is a choice among a few causes, each consistent with part of the evidence. The
learner's function returns the letter of the cause they name; a wrong letter is told why the
evidence rules that cause out, never which letter is right.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstm_lab.checking import CheckResult, Mistake, _failed, check_function, random_array, register_solution
from lstm_lab.debugging import next_word_accuracy

# --- diagnoses -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Diagnosis:
    """One bug's question: the right option, why each wrong one does not fit, and a pointer."""

    name: str
    right: str
    confirm: str  # said once the learner has named the cause
    wrong: dict[str, str]  # option letter -> why the evidence rules it out
    pointer: str

    @property
    def options(self) -> list[str]:
        return sorted([self.right, *self.wrong])


def _check_diagnosis(d: Diagnosis, fn: Callable[[], Any]) -> CheckResult:
    """Call ``fn()`` for the learner's letter and say whether the evidence supports it."""
    listed = ", ".join(f'"{o}"' for o in d.options)
    try:
        answer = fn()
    except NotImplementedError:
        return CheckResult(False, f"✗ {d.name} is not written yet (it raises NotImplementedError): return the "
                                  "letter of the cause you suspect, run its cell, then run this check again.")
    except Exception as err:
        return _failed(d.name, f"✗ {d.name} raised {type(err).__name__}: {err}.", d.pointer)
    if answer is None:
        return CheckResult(False, f"✗ {d.name} returned None: return one of {listed}.\n"
                                  "(The function is still the stub: write it, then check again.)")
    letter = str(answer).strip().strip("()").lower()
    if letter == d.right:
        return CheckResult(True, f"✓ {d.name}: ({letter}) fits all the evidence. {d.confirm}")
    if letter not in d.wrong:
        return _failed(d.name, f"✗ {d.name} returned {answer!r}, which is none of the options {listed}.", d.pointer)
    return _failed(d.name, f"✗ {d.name}: ({letter}) does not fit the evidence: {d.wrong[letter]}", d.pointer)


DIAGNOSES: dict[str, Diagnosis] = {
    d.name: d
    for d in [
        Diagnosis(
            "diagnose_bug1", "c",
            "The next section shows it line by line.",
            {
                "a": "W_y is (V, H), so W_y.T @ dy is (H, V) times (V, 1): a column of height H = 25, the right "
                     "one. The other term of the sum has the wrong height.",
                "b": "a one-hot column of the wrong height would break np.vstack in step_forward, and the forward "
                     "pass over the whole paragraph ran before the backward loop started.",
                "d": "the zeros the loop starts with are (H, 1), and the first pass through the loop succeeded: "
                     "the crash came on a later pass, after dh_next had been replaced by something else.",
            },
            "the failing line adds two columns: compute the height of each from the shapes in the docstrings, "
            "and ask where the wrong one was made on the previous pass of the loop.",
        ),
        Diagnosis(
            "diagnose_bug2", "b",
            "The explanation below derives the right derivative.",
            {
                "a": "dW_o and db_o are computed from do, and the step check finds them right.",
                "c": "if only the forget gate's line were wrong, the input and candidate gates' gradients would "
                     "pass; they fail too.",
                "d": "dh_prev is the last line: it cannot make the gate gradients wrong, which are computed "
                     "before it and fail too.",
            },
            "list the gradients that fail and the ones that pass, then find the one quantity that every "
            "failing gradient is computed from and no passing one is.",
        ),
        Diagnosis(
            "diagnose_bug3", "d",
            "The cell below shows the line, and a control with a large learning rate.",
            {
                "a": "clipping only shortens large gradient entries and keeps each entry's sign, so a clipped "
                     "step still goes downhill; it cannot make the loss rise every epoch.",
                "b": "a sum instead of a mean only scales the gradient, like a larger learning rate. The "
                     "direction of each step stays the same.",
                "c": "a learning rate a little too large makes the loss overshoot and bounce; this one climbs "
                     "smoothly from the very first epoch.",
            },
            "the gradient points to where the loss grows. Which way does the update move the weights?",
        ),
        Diagnosis(
            "diagnose_bug4", "a",
            "The fix swaps one dictionary for the other.",
            {
                "b": "a list index out of range raises IndexError, not KeyError; a KeyError names the key a "
                     "dictionary was asked for.",
                "c": "the vocabulary was built from this very paragraph, so every one of its words has an id; "
                     "and the key in the message is a number, not a word.",
                "d": "the line in the traceback looks the key up in word_to_idx; idx_to_word is not asked.",
            },
            "a KeyError's message is the key that was looked up: which kind of thing is 17, and which kind of "
            "thing does that dictionary take?",
        ),
        Diagnosis(
            "diagnose_bug5", "b",
            "The bound below says which number to believe.",
            {
                "a": "the loss's gradients passed three checks and it fell smoothly from ln V; a mean loss "
                     "below 0.05 also guarantees an accuracy of at least 0.93 whatever the model learned.",
                "c": "scores[t] is a (V, 1) column, and np.argmax of a column is its row: a word id, as the "
                     "lookup needs.",
                "d": "overfitting makes a model better on the text it learned, not worse, and this accuracy is "
                     "measured on the training paragraph itself.",
            },
            "after reading word t, the model's scores are a prediction about which word? Compare with the "
            "targets the loss uses.",
        ),
        Diagnosis(
            "diagnose_bug6", "c",
            "A test with a known answer shows it below.",
            {
                "a": "the sentence puts the paragraph's words in an order the paragraph never uses (compare it "
                     "with the paragraph printed at the top), and 8 of 8 new predictions from 57 words of "
                     "training would need a test before anyone believes it.",
                "b": "that line was fixed and tested in section 5: with it, the accuracy agreed with the bound "
                     "the loss sets.",
                "d": "the sentence is not in the paragraph: print both and look for it.",
            },
            "test a function with an input whose answer you know: how many tokens should the new sentence "
            "give, and what does each method in accuracy's path return for it?",
        ),
    ]
}


def _diagnosis_checker(name: str) -> Callable[[Callable[[], Any]], CheckResult]:
    d = DIAGNOSES[name]

    def check(fn: Callable[[], Any]) -> CheckResult:
        return _check_diagnosis(d, fn)

    check.__name__ = f"check_{name}"
    check.__doc__ = f"Check ``{name}() -> letter``, the learner's diagnosis in Lesson 8."
    return check


check_diagnose_bug1 = _diagnosis_checker("diagnose_bug1")
check_diagnose_bug2 = _diagnosis_checker("diagnose_bug2")
check_diagnose_bug3 = _diagnosis_checker("diagnose_bug3")
check_diagnose_bug4 = _diagnosis_checker("diagnose_bug4")
check_diagnose_bug5 = _diagnosis_checker("diagnose_bug5")
check_diagnose_bug6 = _diagnosis_checker("diagnose_bug6")

# --- next-word accuracy ----------------------------------------------------------------------


def _accuracy_case(rng: np.random.Generator) -> tuple:
    T, V = (int(n) for n in rng.integers(5, 12, size=2))
    logits = random_array(rng, (T, V), 2.0)
    targets = rng.integers(0, V, size=T)
    # Make some predictions right, so an accuracy of 0 is not an accident.
    right = rng.random(T) < 0.5
    targets[right] = np.argmax(logits[right], axis=1)
    return logits, targets


def check_next_word_accuracy(fn: Callable[..., Any]) -> CheckResult:
    """Check ``fn(logits (T, V), targets (T,)) -> accuracy`` (Lesson 8), a float in [0, 1]."""
    return check_function(
        "next_word_accuracy",
        fn,
        next_word_accuracy,
        _accuracy_case,
        output_names=["accuracy"],
        n_cases=4,
        mistakes=[
            Mistake("this is the number of right predictions, not the fraction of positions.",
                    lambda z, y: float(np.sum(np.argmax(z, axis=1) == y))),
            Mistake("each prediction was compared with the word of the position before, not with the word "
                    "that came next (bug 5 of this lesson).",
                    lambda z, y: float(np.mean(np.argmax(z[1:], axis=1) == y[:-1]))),
        ],
        pointer="at each position: which word gets the highest score, and is it the word that actually came "
        "next? The accuracy is a fraction of the T positions.",
    )


register_solution("next_word_accuracy", next_word_accuracy)
