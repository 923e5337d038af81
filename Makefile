# BridgeFund — the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
CONSUMER_WORKERS ?= 2
PYTEST_ARGS ?=
# make test's pytest workers (pytest-xdist; one per core here): each file runs whole on one worker, so its module
# fixtures (a demo server, a browser) start once; each worker has its own PostgreSQL database (tests/conftest.py).
TEST_WORKERS ?= 2
XDIST := -n $(TEST_WORKERS) --dist loadfile

.PHONY: run test lint install install-test system-deps serve demo fuzz bench bench-deps mutate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the package metadata changes.
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres]'
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $(VENV)/.installed $@

install: system-deps $(VENV)/.installed
install-test: system-deps $(VENV)/.installed-test

# Operating-system packages the project needs, skipped when present: the CJK font embedded in the PDF reports, the
# fallback face for rare ideographs of names (HanaMinB: CJK Extensions B-F), HarfBuzz's subsetter (WeasyPrint
# subsets fonts 6x faster with it; see docs/rendering.md), and Debian's Chromium for the console's browser tests
# (tests/browser; `playwright install` would download a browser, which an intranet machine cannot), and HAProxy,
# the balancer in front of the two gunicorn instances of tests/multi (PostgreSQL run; README "Production").
SYSTEM_PACKAGES := fonts-noto-cjk fonts-hanazono libharfbuzz-subset0 chromium haproxy
system-deps:
	@dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || { \
		echo "installing $(SYSTEM_PACKAGES)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES); }

# The web server and one queue consumer together (the embedded SQLite queue unless BRIDGEFUND_REDIS_URL is set);
# Ctrl-C stops both: gunicorn on the terminal's SIGINT, the consumer (a background job, which a shell without job
# control starts with SIGINT ignored — huey sets its own handler) by the EXIT trap, gracefully (its running job ends).
run: install
	$(BIN)/bridgefund db upgrade
	$(BIN)/bridgefund demo --if-empty
	@echo "BridgeFund console on http://$(HOST):$(PORT)/ — API on http://$(HOST):$(PORT)/api/v1, docs at /api/docs; a queue consumer alongside (Ctrl-C stops both)"
	@trap 'kill -INT $$consumer 2>/dev/null; wait $$consumer' EXIT; \
	$(BIN)/bridgefund jobs consumer --workers $(CONSUMER_WORKERS) & consumer=$$!; \
	$(BIN)/gunicorn -c python:bridgefund.gunicorn_conf --bind $(HOST):$(PORT) --workers $(WORKERS) \
		--access-logfile - wsgi:app

lint: install-test
	$(BIN)/ruff check .

# The whole suite on SQLite (the variable emptied, PostgreSQL-only tests deselected; the console's browser tests
# run here, against their own demo server), then again on PostgreSQL when BRIDGEFUND_TEST_DATABASE_URL is set
# (crash tests included; the browser tests and the README walkthrough — both against a `make run`-style server on
# its own SQLite database — not repeated), then the dependency audit.
test: install-test lint
	BRIDGEFUND_TEST_DATABASE_URL= $(BIN)/pytest -q $(XDIST) -m "not postgres" $(PYTEST_ARGS)
	@if [ -n "$$BRIDGEFUND_TEST_DATABASE_URL" ]; then \
		echo "--- again on PostgreSQL: $$BRIDGEFUND_TEST_DATABASE_URL"; \
		$(BIN)/pytest -q $(XDIST) $(PYTEST_ARGS) tests --ignore=tests/unit --ignore=tests/browser \
			--ignore=tests/test_readme.py; \
	else \
		echo "BRIDGEFUND_TEST_DATABASE_URL is not set: PostgreSQL run skipped"; \
	fi
	$(BIN)/python -m tests.security.dependency_audit

# Long contract fuzzing and stateful runs (tens of minutes; failing sequences are shrunk), on both databases.
FUZZ_EXAMPLES ?= 40
STATEFUL_EXAMPLES ?= 300
STATEFUL_STEPS ?= 40
FUZZ_ENV = BRIDGEFUND_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) BRIDGEFUND_STATEFUL_EXAMPLES=$(STATEFUL_EXAMPLES) \
	BRIDGEFUND_STATEFUL_STEPS=$(STATEFUL_STEPS) BRIDGEFUND_FUZZ_SHRINK=1
fuzz: install-test
	BRIDGEFUND_TEST_DATABASE_URL= $(FUZZ_ENV) $(BIN)/pytest -q -s tests/fuzz tests/stateful
	@if [ -n "$$BRIDGEFUND_TEST_DATABASE_URL" ]; then \
		$(FUZZ_ENV) $(BIN)/pytest -q -s tests/fuzz tests/stateful tests/crash; \
	fi

# Benchmarks (not part of the test run; docs/benchmarks.md): loopback PostgreSQL, scratch databases.
BENCH_ADMIN_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
# The load generator of bench/bench_ratio.py (bench only; `make test` does not need it).
BENCH_SYSTEM_PACKAGES := wrk
bench-deps:
	@dpkg -s $(BENCH_SYSTEM_PACKAGES) >/dev/null 2>&1 || { \
		echo "installing $(BENCH_SYSTEM_PACKAGES)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(BENCH_SYSTEM_PACKAGES); }
bench: install-test bench-deps
	$(BIN)/python bench/bench_ratio.py --admin-url $(BENCH_ADMIN_URL)
	$(BIN)/python bench/bench_load.py --admin-url $(BENCH_ADMIN_URL)
	$(BIN)/python bench/bench_scale.py --admin-url $(BENCH_ADMIN_URL)

# Mutation testing (not part of `make test`; docs/reliability.md, "Mutation testing"): mutmut over
# bridgefund/finance/ (its settings are setup.cfg's [mutmut] section: tests/unit and the API boundary tests on
# SQLite), then the hand-written mutants of the SQL predicates and service rules (tests/mutation/sql_mutants.py).
# CPU heavy: niced, MUTATE_JOBS processes. Survivors: `$(BIN)/mutmut results`, `$(BIN)/mutmut show <name>`.
MUTATE_JOBS ?= 2
$(VENV)/.installed-mutate: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,postgres,mutate]'
	touch $(VENV)/.installed $(VENV)/.installed-test $@
mutate: system-deps $(VENV)/.installed-mutate
	rm -rf mutants
	set -o pipefail; BRIDGEFUND_TEST_DATABASE_URL= nice -n 10 $(BIN)/mutmut run --max-children $(MUTATE_JOBS) \
		| tr '\r' '\n' | tail -n 3
	$(BIN)/python -m tests.mutation.mutmut_score
	BRIDGEFUND_TEST_DATABASE_URL= nice -n 10 $(BIN)/python -m tests.mutation.sql_mutants

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis mutants
