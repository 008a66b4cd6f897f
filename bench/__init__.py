"""Training-speed benchmark: ``python -m bench`` (or ``make bench``).

Measures, in one run on this machine, characters per second of LSTM training (forward,
backward, clipping and an Adagrad step) for

- a per-step LSTM written to the design of the notebook this project started from
  (``bench.seed_style``: column vectors, one character at a time, float64),
- ``lstm_lab``'s batched LSTM at B = 1, 32 and 64 in float32 and float64,
- ``torch.nn.LSTM`` + ``nn.Linear`` at the same sizes, when PyTorch is installed,

then the seconds of training ``lstm_lab``'s LSTM needs to reach a validation loss of
1.6 nats/char on Kafka, and the peak memory of that training run.
"""
