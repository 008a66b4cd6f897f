"""bench.compare picks each model's best setting the way the sweep does, and reads budgets off the curves."""

from __future__ import annotations

import pytest

from bench.compare import best_up_to, report, summarise


def run(model, opt, lr, seed, curve, T=25):
    return {"model": model, "optimizer": opt, "lr": lr, "seed": seed, "seq_length": T,
            "val_steps": [1000, 2000, 3000][: len(curve)], "val_loss": curve}


def test_best_up_to_is_the_minimum_of_the_prefix():
    r = run("rnn", "Adam", 0.01, 0, [2.0, 1.5, 1.7])
    assert best_up_to(r, 1000) == 2.0 and best_up_to(r, 2000) == 1.5 and best_up_to(r, 3000) == 1.5


def test_best_is_chosen_by_the_first_seed_not_by_how_many_seeds_a_setting_has():
    runs = [run("rnn", "Adam", 0.005, 0, [1.9, 1.8, 1.70]),
            run("rnn", "Adam", 0.005, 1, [2.0, 1.95, 1.90]),  # an unlucky second seed
            run("rnn", "Adagrad", 0.1, 0, [2.0, 1.9, 1.75]),
            run("lstm", "Adagrad", 0.1, 0, [1.7, 1.6, 1.55])]
    s = summarise(runs, 3000)
    assert s["rnn"]["best"] == ("Adam", 0.005)  # seed 0: 1.70 < 1.75, although its mean is 1.80
    assert s["rnn"]["table"][("Adam", 0.005)] == pytest.approx((1.8, 1.7, 1.9, 2))
    text = report(runs)
    assert "gap 0.250" in text  # the best RNN setting's mean 1.80 against the LSTM's 1.55


def test_a_run_too_short_for_a_budget_is_left_out():
    runs = [run("rnn", "Adam", 0.005, 0, [1.9]), run("rnn", "Adagrad", 0.1, 0, [2.0, 1.9, 1.8])]
    assert set(summarise(runs, 3000)["rnn"]["table"]) == {("Adagrad", 0.1)}
