# The README's commands. Everything runs in .venv, created on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# No network here but package registries: keep Prefect's telemetry quiet.
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: demo test install clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11+ or run make PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)  ## generate a Veo3 video through Prefect against the local emulator
	$(BIN)/python -m flows.demo

test: $(STAMP)  ## run the whole test suite
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) videos .pytest_cache
