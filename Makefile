# Two commands are the whole set-up on a fresh machine with Python 3.10+:
#   make lab    open the lessons in JupyterLab
#   make test   run every test: unit tests, ruff, and every notebook under nbval
# Each creates the virtual environment (.venv) and fetches the corpus if missing.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# Jupyter refuses to start as root (as in many containers) unless told it may.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test data venv lint bench notebooks determinism mutants clean help

help:
	@echo "make lab    - open the notebooks in JupyterLab (sets everything up first)"
	@echo "make test   - unit tests, ruff and every notebook re-executed under nbval"
	@echo "make data   - download Kafka's Metamorphosis into data/"
	@echo "make bench  - training-speed benchmark (see bench/)"
	@echo "make notebooks - re-execute every notebook in place and store its outputs"
	@echo "make determinism - run every notebook twice; fail if an output nbval checks differs"
	@echo "make mutants - plant each curated one-line bug; fail unless the unit tests catch every one"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "lstm-lab needs Python 3.10 or newer; found " + sys.version.split()[0] + ". Run: make PYTHON=python3.12 test")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

data: $(STAMP)
	$(PY) -m lstm_lab.data

lab: data
	$(VENV)/bin/jupyter lab $(LAB_FLAGS) $(ARGS) notebooks/

lint: $(STAMP)
	$(PY) -m ruff check .

# pytest exits 5 when it collected no test: a broken configuration, never a pass.
test: data lint
	@$(PY) -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests (exit 5): check testpaths in pyproject.toml" >&2; fi; \
	exit $$status

bench: data
	$(PY) -m bench

# Re-execute every lesson top to bottom in a fresh kernel and store the outputs
# (the only way stored outputs are ever made; see README, "For maintainers").
notebooks: data
	$(PY) tools/execute_notebooks.py notebooks/*.ipynb

# Every notebook twice in fresh kernels, compared by nbval's rules: a checked output that
# changes between runs would make CI flaky (see tools/check_determinism.py).
determinism: data
	$(PY) tools/check_determinism.py

# Plant each of tools/mutants.py's one-line bugs in a temporary copy and run the unit tests
# that cover it (no notebooks); fails unless every mutant is caught (see README, "For maintainers").
mutants: data
	$(PY) tools/mutants.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
