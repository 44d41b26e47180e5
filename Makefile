# Sluicegate developer entry points. `make run` and `make test` are the only commands a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.PHONY: run test lint typecheck imports migrations-check pytest bench lock clean serve-only

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs are stamped so that repeated `make` calls are fast; a lock change reinstalls.
$(VENV)/.server-installed: requirements/server.lock pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements/server.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements/dev.lock pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements/dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.server-installed

run: $(VENV)/.server-installed
	$(BIN)/sluice demo

# pytest runs on every core (pytest-xdist); --dist loadfile keeps each test file on one worker, so
# a module's fixtures (the e2e servers, the Prometheus stack) start once and its tests keep their
# order. `make test PYTEST_ARGS=` runs pytest in one process.
PYTEST_ARGS ?= -n auto --dist loadfile

test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory migrations-check
	$(BIN)/pytest $(PYTEST_ARGS)

migrations-check: $(VENV)/.dev-installed
	$(BIN)/python -m sluicegate.adapters.db.driftcheck

bench: $(VENV)/.dev-installed
	$(BIN)/python -m benchmarks

# Regenerate the pinned lock files from pyproject.toml (needs network access to PyPI).
lock:
	$(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv pip compile pyproject.toml --extra server --extra dev --python-version 3.11 -o requirements/dev.lock
	$(PYTHON) -m uv pip compile pyproject.toml --extra server --python-version 3.11 -o requirements/server.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
