# Roster — every target bootstraps .venv from the system python3 on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Two stamps: `make run` installs the runtime (+ the [cli] extra) only; the targets that need
# the dev tools (tests, linters, browsers, compliance suites) add [dev] on top, once.
RUN_STAMP := $(VENV)/.runtime-stamp
DEV_STAMP := $(VENV)/.dev-stamp
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test lint typecheck check migrate revision schema bench bench-guard bench-guard-cpu bench-cpu compliance fuzz clean

$(RUN_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing Roster (runtime and CLI) into $(VENV) ..."
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[cli]'
	@touch $(RUN_STAMP)

$(DEV_STAMP): $(RUN_STAMP)
	@echo "adding the dev tools (pytest, ruff, mypy, Playwright, compliance suites) to $(VENV) ..."
	@$(BIN)/python -m pip install -q -e '.[cli,dev]'
	@touch $(DEV_STAMP)

install: $(DEV_STAMP) ## create .venv and install the project with its dev tools

run: $(RUN_STAMP) ## migrate ./roster.db and serve on http://127.0.0.1:8000
	$(BIN)/roster serve

test: $(DEV_STAMP) ## the whole suite (PostgreSQL cases too when ROSTER_TEST_POSTGRES_URL is set)
	$(BIN)/pytest

lint: $(DEV_STAMP) ## ruff format check, ruff lint, mypy strict, import-linter contracts
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

check: lint test ## everything CI runs

migrate: $(RUN_STAMP) ## upgrade the configured database to head
	$(BIN)/roster migrate

revision: $(DEV_STAMP) ## new Alembic revision: make revision m="what changed"
	$(BIN)/alembic revision --autogenerate -m "$(m)"

schema: $(DEV_STAMP) ## regenerate the published contracts under schema/
	$(BIN)/python -m app.contracts

bench: $(DEV_STAMP) ## the project's benchmark (see docs/performance.md)
	$(BIN)/python -m bench

bench-guard: $(DEV_STAMP) ## the deprovisioning guard's A/B on a SCIM PATCH (bench/guard_ab.py)
	$(BIN)/python -m bench.guard_ab

bench-cpu: $(DEV_STAMP) ## CPU per SCIM request in Roster's own code, in process (bench/scim_cpu.py)
	$(BIN)/python -m bench.scim_cpu

bench-guard-cpu: $(DEV_STAMP) ## the guard's CPU per SCIM PATCH, in process (bench/guard_cpu.py)
	$(BIN)/python -m bench.guard_cpu

compliance: $(DEV_STAMP) ## SCIM compliance suites against a temporary server
	bash scripts/compliance.sh

# FUZZ_SECONDS per API and engine; PostgreSQL too when ROSTER_TEST_POSTGRES_URL is set.
FUZZ_SECONDS ?= 300
fuzz: $(DEV_STAMP) ## schemathesis on both APIs, long: make fuzz FUZZ_SECONDS=600
	ROSTER_FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/pytest tests/e2e/test_fuzz.py -s -k "fuzz and not can_fail"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
