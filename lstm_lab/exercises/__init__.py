"""The exercises' checkers, one module per lesson; the engine they share is ``lstm_lab.checking``.

A notebook imports what it needs from here::

    from lstm_lab.exercises import check_rnn_forward, hidden_cases, show_solution
"""

from lstm_lab.checking import CheckFailed, CheckResult, Mistake, compare, hidden_cases, show_solution
from lstm_lab.exercises.lesson01 import check_make_streams, check_windows
from lstm_lab.exercises.lesson02 import check_rnn_forward, check_rnn_step_forward
from lstm_lab.exercises.lesson03 import (
    check_numerical_gradient,
    check_rnn_backward,
    check_rnn_step_backward,
    check_softmax_cross_entropy,
)
from lstm_lab.exercises.lesson04 import check_adagrad_update, check_clip_by_value, check_sample, check_train_steps
from lstm_lab.exercises.lesson05 import check_lstm_step_forward
from lstm_lab.exercises.lesson06 import check_lstm_step_backward
from lstm_lab.exercises.lesson07 import check_temperature_softmax
from lstm_lab.exercises.lesson08 import check_next_word_accuracy
from lstm_lab.exercises.lesson09 import check_replace_rare
from lstm_lab.exercises.lesson10 import check_correlations

__all__ = [
    "CheckFailed", "CheckResult", "Mistake", "compare", "hidden_cases", "show_solution",
    "check_make_streams", "check_windows",
    "check_rnn_forward", "check_rnn_step_forward",
    "check_numerical_gradient", "check_rnn_backward", "check_rnn_step_backward", "check_softmax_cross_entropy",
    "check_adagrad_update", "check_clip_by_value", "check_sample", "check_train_steps",
    "check_lstm_step_forward",
    "check_lstm_step_backward",
    "check_temperature_softmax",
    "check_next_word_accuracy",
    "check_replace_rare",
    "check_correlations",
]
