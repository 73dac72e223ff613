# The README's commands. Everything runs in .venv, created on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# No network here but package registries: keep Prefect's telemetry quiet.
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

# Where `make server` listens (PREFECT_HOST=0.0.0.0 to serve other machines).
PREFECT_HOST ?= 127.0.0.1
PREFECT_PORT ?= 4200
# The Prefect API the other targets talk to: PREFECT_API_URL from the environment or
# the active Prefect profile, as for any Prefect command; without one, `make server`'s.
PREFECT_API = $(BIN)/python -c "from prefect.settings import get_current_settings as s; \
	print(s().api.url or 'http://127.0.0.1:$(PREFECT_PORT)/api')"
WITH_API = PREFECT_API_URL="$$($(PREFECT_API))"
PROMPT ?= A paper boat drifting down a rain-soaked street at dusk, cinematic

.PHONY: demo test lint bench install clean server emulator block deploy automations budget worker run

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11+ or run make PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)  ## generate a Veo3 video through Prefect against the local emulator
	$(BIN)/python -m flows.demo

test: lint  ## lint and type-check, then run the whole test suite
	@.ci/system-tools  # Redis, PostgreSQL, Chromium: installed when missing (as root), else named
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff (lint and format) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)  ## benchmarks against their baselines (bench/README.md); BENCH_ARGS=--quick for a short run
	$(BIN)/python -m bench $(BENCH_ARGS)

server: $(STAMP)  ## a local Prefect server (SQLite under ~/.prefect), UI at http://127.0.0.1:4200
	PREFECT_UI_API_URL="$${PREFECT_UI_API_URL:-http://$(PREFECT_HOST):$(PREFECT_PORT)/api}" \
		$(BIN)/prefect server start --host $(PREFECT_HOST) --port $(PREFECT_PORT)

emulator: $(STAMP)  ## the local API emulator on :8787 (key "sim-key"), to deploy without a real key
	$(BIN)/python -m aimlapi_sim --port 8787 --api-key sim-key

block: $(STAMP)  ## register the block type and save block "aimlapi" from AIMLAPI_API_KEY (+ AIMLAPI_BASE_URL)
	$(WITH_API) $(BIN)/prefect block register -m blocks
	$(WITH_API) $(BIN)/python -m blocks save aimlapi

deploy: block  ## create the process work pool, deploy everything in prefect.yaml, create the automations
	$(WITH_API) $(BIN)/prefect work-pool create aimlapi-process --type process --overwrite
	$(WITH_API) $(BIN)/prefect --no-prompt deploy --all
	$(MAKE) --no-print-directory automations

automations: $(STAMP)  ## create (or replace) the automations in automations.yaml; ALERT_BLOCK=slug/name adds the failures alert
	$(WITH_API) $(BIN)/python -m flows.automations $(if $(ALERT_BLOCK),--alert-block $(ALERT_BLOCK)) \
		$(if $(ALERT_THRESHOLD),--alert-threshold $(ALERT_THRESHOLD)) $(if $(ALERT_WITHIN),--alert-within $(ALERT_WITHIN))

budget: $(STAMP)  ## a spend budget of LIMIT new paid generations per rolling day (workers: AIMLAPI_BUDGET=aimlapi-daily-budget)
	$(WITH_API) $(BIN)/python -m flows.automations --budget $(LIMIT)

worker: $(STAMP)  ## a process worker for the aimlapi-process pool (run it in this checkout); WORKER_LIMIT=N caps its runs
	$(WITH_API) PREFECT_FLOWS_HEARTBEAT_FREQUENCY="$${PREFECT_FLOWS_HEARTBEAT_FREQUENCY:-30}" \
		$(BIN)/prefect worker start --pool aimlapi-process $(if $(WORKER_LIMIT),--limit $(WORKER_LIMIT))

run: $(STAMP)  ## run the on-demand deployment with PROMPT and watch it
	$(WITH_API) $(BIN)/prefect deployment run generate-video/on-demand --param prompt="$(PROMPT)" --watch

clean:
	rm -rf $(VENV) videos published .pytest_cache
