# copkit: `make demo` and `make test` are the whole set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

# The code the benchmarks compare against: the tree as it was when issue 19 was filed.
BASELINE_COMMIT := db093e1
BASELINE_DIR ?= $(abspath ../copkit-baseline)

.PHONY: demo test check lint bench bench-all baseline venv clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/copkit demo --port $(PORT)

test: $(TEST_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy instruments analysis reports survey_app
	$(BIN)/lint-imports

# The fast loop: lint, then every test that needs no browser, no PostgreSQL and is not marked slow,
# on every core (pytest-xdist). `make test` stays the whole suite, in one process (what CI runs).
CHECK_MARKERS := not browser and not postgres and not slow
CHECK_WORKERS ?= auto

check: lint
	$(BIN)/python -m pytest -q -n $(CHECK_WORKERS) -m "$(CHECK_MARKERS)" $(PYTEST_ARGS)

# A detached worktree of BASELINE_COMMIT beside this one, with its own virtualenv.
$(BASELINE_DIR)/.venv/.installed:
	@git cat-file -e $(BASELINE_COMMIT)^{commit} 2>/dev/null || { \
	  echo "commit $(BASELINE_COMMIT) is not in this clone: git fetch --unshallow origin"; exit 1; }
	test -e $(BASELINE_DIR)/.git || git worktree add --detach $(BASELINE_DIR) $(BASELINE_COMMIT)
	test -x $(BASELINE_DIR)/.venv/bin/python || $(PYTHON) -m venv $(BASELINE_DIR)/.venv
	$(BASELINE_DIR)/.venv/bin/pip install --quiet -e $(BASELINE_DIR)
	touch $@

baseline: $(BASELINE_DIR)/.venv/.installed

# Issue 19's figures, this tree beside the baseline in one run (bench/README.md).
bench: $(TEST_STAMP) baseline
	$(BIN)/python -m bench.bench_versus_baseline --baseline $(BASELINE_DIR) $(BENCH_ARGS)

bench-all: $(TEST_STAMP) baseline
	BENCH_BASELINE=$(BASELINE_DIR) $(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
