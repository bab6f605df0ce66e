# Roster — every target bootstraps .venv from the system python3 on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test lint typecheck check migrate revision schema bench compliance fuzz clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing Roster and its tools into $(VENV) ..."
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev tools

run: $(STAMP) ## migrate ./roster.db and serve on http://127.0.0.1:8000
	$(BIN)/roster serve

test: $(STAMP) ## the whole suite (PostgreSQL cases too when ROSTER_TEST_POSTGRES_URL is set)
	$(BIN)/pytest

lint: $(STAMP) ## ruff format check, ruff lint, mypy strict, import-linter contracts
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint test ## everything CI runs

migrate: $(STAMP) ## upgrade the configured database to head
	$(BIN)/roster migrate

revision: $(STAMP) ## new Alembic revision: make revision m="what changed"
	$(BIN)/alembic revision --autogenerate -m "$(m)"

schema: $(STAMP) ## regenerate the published contracts under schema/
	$(BIN)/python -m app.contracts

bench: $(STAMP) ## the project's benchmark (see docs/performance.md)
	$(BIN)/python -m bench

compliance: $(STAMP) ## SCIM compliance suites against a temporary server
	bash scripts/compliance.sh

# FUZZ_SECONDS per API and engine; PostgreSQL too when ROSTER_TEST_POSTGRES_URL is set.
FUZZ_SECONDS ?= 300
fuzz: $(STAMP) ## schemathesis on both APIs, long: make fuzz FUZZ_SECONDS=600
	ROSTER_FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/pytest tests/e2e/test_fuzz.py -s -k "fuzz and not can_fail"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
