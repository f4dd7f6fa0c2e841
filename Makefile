# Two commands: `make run` serves the demo site, `make test` runs the whole suite
# (`make test-postgres` runs it again on PostgreSQL and Redis).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := app.py

.PHONY: run test test-postgres lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/flask init-db
	$(BIN)/flask seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# axe-core for the accessibility tests, into ./node_modules (git-ignored) from package.json.
node_modules/.installed: package.json
	@if command -v npm >/dev/null 2>&1; then \
		npm install --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the accessibility tests will skip (CI installs npm)"; fi

test: $(VENV)/.installed-test node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; \
	exit $$status

# The whole suite again with every test on a fresh schema of the PostgreSQL database
# TEST_DATABASE_URL and its page cache and rate limits in the Redis at TEST_REDIS_URL (both
# required); tests about SQLite itself skip, saying why. .ci/run runs it after `make test`.
test-postgres: $(VENV)/.installed-test node_modules/.installed
	TEST_BACKEND=postgres $(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; \
	exit $$status

# The benchmark (never part of `make test`): BENCH_QUICK=1 for a one-round run on a smaller
# dataset, BENCH_DB=postgres to serve from PostgreSQL with Redis as the cache.
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

bench: $(VENV)/.installed-bench
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && apt-get install -y -qq wrk >/dev/null 2>&1; } || echo "wrk not installed: using the Python load client"
	BENCH_QUICK=$(BENCH_QUICK) BENCH_DB=$(BENCH_DB) $(BIN)/python bench/run.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache
