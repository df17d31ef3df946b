# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export PREFECT_HOME ?= $(CURDIR)/.prefect
# Prefect's ephemeral local API when no PREFECT_API_URL is set: no server to start, no account.
export PREFECT_SERVER_ALLOW_EPHEMERAL_MODE ?= true
# The ephemeral API's 20 s start-up default fails on a busy 2-core machine.
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120
# Nothing leaves the machine: no Prefect usage analytics from the SDK or the local server.
export DO_NOT_TRACK ?= 1
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: install demo serve ui-check test lint typecheck format bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) -m deployments.demo

# A lasting local stack: Prefect server + UI, Tavus simulator, S3 server, blocks, deployments, worker.
SERVE_PORT ?= 4200
export SERVE_PORT
serve: install
	$(PY) -m deployments.stack

# Screenshots of the run forms, a finished run's summary and a failed run under docs/ui/
# (headless Chromium from Debian: apt-get install -y chromium; not part of make test).
ui-check: install
	$(PY) -m pip install --quiet playwright
	$(PY) -m deployments.ui_check

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Strict on the installed library; prefect_tavus/flows, /blocks and /tavus_api link to the folders.
typecheck: install
	$(VENV)/bin/mypy -p prefect_tavus

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: install lint typecheck
	$(PY) -m pytest

# Not part of `make test`: the full run took about 10 minutes on 2 cores (1,000 rows, 2 GiB output).
bench: install
	$(PY) -m benchmarks --output bench-results.json
	$(PY) -m benchmarks.readme_table bench-results.json README.md

clean:
	rm -rf $(VENV) .prefect output .pytest_cache .ruff_cache .mypy_cache
