"""Shared test settings."""

from hypothesis import settings

# No per-example deadline: on a loaded CI machine (or under tools/mutants.py, two test runs at
# a time) a slow example is not a failure. Hypothesis still checks every property.
settings.register_profile("lstm-lab", deadline=None)
settings.load_profile("lstm-lab")
