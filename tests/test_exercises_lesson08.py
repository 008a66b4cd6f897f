"""Lesson 8's exercises: a diagnosis of each planted bug, and the next-word accuracy.

A diagnosis check names no answer: a wrong letter is told what in the evidence it does not
explain, the stub is told it is not written yet, and the notebook's own answer passes. The task
cell before each answer lists exactly the checker's options.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from exercise_cells import (
    answer_source,
    assert_passes_also_on_hidden_cases,
    define,
    grade_ids,
    notebook_cells,
    solution_lines,
)

from lstm_lab import exercises
from lstm_lab.checking import hidden_cases, reset_attempts
from lstm_lab.debugging import next_word_accuracy
from lstm_lab.exercises import check_next_word_accuracy
from lstm_lab.exercises.lesson08 import DIAGNOSES

LESSON = "08_debugging_lstm.ipynb"
CELLS = notebook_cells(LESSON)
BUGS = sorted(DIAGNOSES)


def answer_index(name: str) -> int:
    """Where the answer cell ``<name>_answer`` stands in the lesson."""
    return grade_ids(CELLS).index(f"{name}_answer")


def notebook_solution(name: str):
    return define(answer_source(LESSON, name), name, {"np": np})


def checker(name: str):
    return getattr(exercises, f"check_{name}")


def stub():
    raise NotImplementedError()


# ----- the diagnoses ---------------------------------------------------------------------------


def test_six_bugs_six_diagnoses_each_checked_after_its_evidence_and_before_the_reveal():
    assert BUGS == [f"diagnose_bug{n}" for n in range(1, 7)]
    indices = [answer_index(name) for name in BUGS]
    assert indices == sorted(indices)
    for name in BUGS:
        check = CELLS[answer_index(name) + 1]
        assert check["metadata"]["nbgrader"]["grade_id"] == f"{name}_check"
        assert "raises-exception" in check["metadata"]["tags"]
        assert f"check_{name}({name}).assert_ok()" in "".join(check["source"])
    # each diagnosis comes before the fix of its bug is shown (the fix cells create Fix1 .. Fix5, FixedWordLSTM)
    fixes = ["Fix1 = fix(", "Fix2 = fix(", "Fix3 = fix(", "Fix4 = fix(", "Fix5 = fix(", "FixedWordLSTM = fix("]
    for name, fix_code in zip(BUGS, fixes, strict=True):
        fix_index = next(i for i, c in enumerate(CELLS) if "".join(c["source"]).startswith(fix_code))
        assert answer_index(name) < fix_index, f"{name} comes after its bug's fix"


@pytest.mark.parametrize("name", BUGS)
def test_the_task_lists_exactly_the_checkers_options(name):
    task = "".join(CELLS[answer_index(name) - 1]["source"])
    assert CELLS[answer_index(name) - 1]["cell_type"] == "markdown"
    assert re.findall(r"\*\*\(([a-z])\)\*\*", task) == DIAGNOSES[name].options


@pytest.mark.parametrize("name", BUGS)
def test_the_notebooks_diagnosis_passes_also_on_hidden_cases(name):
    fn = notebook_solution(name)
    assert checker(name)(fn).passed
    with hidden_cases():
        assert checker(name)(fn).passed
    # the letter may be written in capitals or in brackets
    right = DIAGNOSES[name].right
    assert checker(name)(lambda: f"({right.upper()})").passed


@pytest.mark.parametrize("name", BUGS)
def test_a_diagnosis_stub_is_not_written_yet(name):
    result = checker(name)(stub)
    assert not result.passed and "not written yet" in result.message and "Pointer" not in result.message
    none = checker(name)(lambda: None)
    assert not none.passed and "still the stub" in none.message


@pytest.mark.parametrize("name", BUGS)
def test_every_wrong_option_is_told_why_without_the_answer(name):
    d = DIAGNOSES[name]
    for letter, why in d.wrong.items():
        reset_attempts()
        result = checker(name)(lambda letter=letter: letter)
        assert not result.passed and f"({letter}) does not fit the evidence" in result.message
        assert why in result.message
        assert f"({d.right})" not in result.message and f'"{d.right}"' not in result.message
        for line in solution_lines(answer_source(LESSON, name), min_length=1) + [f'return "{d.right}"']:
            assert line not in result.message


@pytest.mark.parametrize("name", BUGS)
def test_a_second_wrong_diagnosis_adds_the_pointer(name):
    first, second = list(DIAGNOSES[name].wrong)[:2]
    assert "Pointer" not in checker(name)(lambda: first).message
    result = checker(name)(lambda: second)
    assert f"Pointer (attempt 2): {DIAGNOSES[name].pointer}" in result.message


def test_an_answer_that_is_no_option_says_so():
    result = checker("diagnose_bug1")(lambda: "the slice")
    assert not result.passed and "none of the options" in result.message


# ----- next_word_accuracy ----------------------------------------------------------------------


def counted(z, y):
    return float(np.sum(np.argmax(z, axis=1) == y))


def shifted(z, y):
    return float(np.mean(np.argmax(z[1:], axis=1) == y[:-1]))


def test_accuracy_stub_is_not_written_yet():
    result = check_next_word_accuracy(lambda z, y: stub())
    assert not result.passed and "not written yet" in result.message


def test_accuracy_reference_and_notebook_solution_pass():
    for fn in (next_word_accuracy, notebook_solution("next_word_accuracy")):
        assert_passes_also_on_hidden_cases(check_next_word_accuracy, fn)


@pytest.mark.parametrize(("mistake", "named"), [(counted, "number of right predictions"),
                                                (shifted, "the position before")])
def test_accuracy_mistakes_are_named_without_the_solution(mistake, named):
    result = check_next_word_accuracy(mistake)
    assert not result.passed and "known mistake" in result.message and named in result.message
    for line in solution_lines(answer_source(LESSON, "next_word_accuracy")):
        assert line not in result.message
    assert "argmax" not in result.message.split("known mistake")[1]  # the mistake is said, not the fix


def test_accuracy_second_failure_adds_the_pointer():
    check_next_word_accuracy(counted)
    second = check_next_word_accuracy(shifted)
    assert "Pointer (attempt 2)" in second.message and "fraction of the T positions" in second.message
