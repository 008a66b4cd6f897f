"""Shared test settings."""

import pytest
from hypothesis import settings

from lstm_lab.checking import reset_attempts

# No per-example deadline: on a loaded CI machine (or under tools/mutants.py, two test runs at
# a time) a slow example is not a failure. Hypothesis still checks every property.
settings.register_profile("lstm-lab", deadline=None)
settings.load_profile("lstm-lab")


@pytest.fixture(autouse=True)
def _first_attempt():
    """Each test's first failed check is a first attempt: the pointer comes only on the second."""
    reset_attempts()
    yield
    reset_attempts()
