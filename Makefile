# Two commands are the whole set-up on a fresh machine with Python 3.10+:
#   make lab    open the lessons in JupyterLab
#   make test   run every test: unit tests, ruff, and every notebook under nbval
# Each creates the virtual environment (.venv) and fetches the corpus if missing.
# .venv gets the exact versions CI tested (constraints.txt); `make test-latest` tries the newest.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# The pinned, tested versions of everything .venv holds (tools/update_constraints.py writes it).
CONSTRAINTS := constraints.txt
LATEST := .venv-latest
# Jupyter refuses to start as root (as in many containers) unless told it may.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab lab-teacher student autograde test data venv lint bench notebooks determinism mutants test-latest update-constraints clean help

help:
	@echo "make lab    - open the lessons in JupyterLab, student edition: exercises to write (sets everything up first)"
	@echo "make lab-teacher - open the teacher's edition (notebooks/, solutions in place)"
	@echo "make student - generate the student edition with nbgrader: student/ and build/course/ (docs/teaching.md)"
	@echo "make autograde SUBMISSIONS=dir - grade dir/<student>/NN_name.ipynb: scores and feedback in build/grades/"
	@echo "make test   - unit tests, ruff and every notebook re-executed under nbval"
	@echo "make data   - download Kafka's Metamorphosis into data/"
	@echo "make bench  - training-speed benchmark (see bench/)"
	@echo "make notebooks - re-execute every notebook in place and store its outputs"
	@echo "make determinism - run every notebook under two CPU configurations; fail if an output nbval checks differs"
	@echo "make test-latest - the whole suite in .venv-latest with the newest releases (no constraints)"
	@echo "make update-constraints - maintainers: re-pin constraints.txt and environment.yml to the newest releases"
	@echo "make mutants - plant each curated one-line bug; fail unless the unit tests catch every one"

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "lstm-lab needs Python 3.10 or newer; found " + sys.version.split()[0] + ". Run: make PYTHON=python3.12 test")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

data: $(STAMP)
	$(PY) -m lstm_lab.data

# The student edition: exercises as stubs to write, checkers to run (see docs/teaching.md).
lab: student
	$(VENV)/bin/jupyter lab $(LAB_FLAGS) $(ARGS) student/

# The teacher's edition, the source of truth: solutions written and executed.
lab-teacher: data
	$(VENV)/bin/jupyter lab $(LAB_FLAGS) $(ARGS) notebooks/

# nbgrader needs `alembic`, which is in the venv's bin: put it on PATH for nbgrader and its tools.
NBGRADER_ENV := PATH="$(abspath $(VENV))/bin:$$PATH"

# student/NN_name.ipynb from notebooks/ via nbgrader (build/course/ is its course directory).
# Rebuilt when a lesson or the config changes; the tool fails loudly on a broken nbgrader_config.py.
STUDENT_STAMP := student/.generated
student: data $(STUDENT_STAMP)

$(STUDENT_STAMP): $(wildcard notebooks/[0-9][0-9]*_*.ipynb) nbgrader_config.py tools/student_edition.py $(STAMP)
	$(NBGRADER_ENV) $(PY) tools/student_edition.py
	@touch $@

# make autograde SUBMISSIONS=dir: dir/<student>/NN_name.ipynb (docs/teaching.md, "Grading").
autograde: data
	@test -n "$(SUBMISSIONS)" || { echo "usage: make autograde SUBMISSIONS=dir (dir/<student>/NN_name.ipynb)" >&2; exit 2; }
	$(NBGRADER_ENV) $(PY) tools/autograde.py "$(SUBMISSIONS)" $(ARGS)

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

# Every notebook in fresh kernels under the machine's best CPU configuration and one generation
# down (AVX-512 -> AVX2: OpenBLAS Haswell, numpy without AVX-512), compared by nbval's rules:
# a checked output that depends on the CPU fails CI on some machines (tools/check_determinism.py).
determinism: data
	$(PY) tools/check_determinism.py

# The suite against the newest releases, in its own venv, so drift shows before the pins move.
# It first lists which versions differ from constraints.txt; a failure here is news, not a broken
# main (the GitHub job that runs it weekly is allowed to fail).
test-latest:
	@test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e ".[dev]"
	$(LATEST)/bin/python tools/update_constraints.py --drift $(LATEST)
	$(LATEST)/bin/python -m lstm_lab.data
	$(LATEST)/bin/python -m ruff check .
	$(LATEST)/bin/python -m pytest

# Maintainers: re-pin to the newest releases (then `make clean test`, .ci/run, commit both files).
# Standard library only, so it runs even when the old pins no longer install.
update-constraints:
	$(PYTHON) tools/update_constraints.py --python $(PYTHON)

# Plant each of tools/mutants.py's one-line bugs in a temporary copy and run the unit tests
# that cover it (no notebooks); fails unless every mutant is caught (see README, "For maintainers").
mutants: data
	$(PY) tools/mutants.py $(ARGS)

clean:
	rm -rf $(VENV) $(LATEST) .pytest_cache .ruff_cache .hypothesis student
