# spmkb — the two commands a user needs are `make lab` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STORE  ?= .spmkb
PORT   ?= 8866

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup lab test test-fast lint format sample index app bench clean lock

## setup: create .venv (if missing) and install spmkb with every dependency
setup: $(STAMP)

# torch is installed first and pinned: the CPU build lies on this machine's disk; letting
# sentence-transformers pull torch would download a multi-GB CUDA build.
# constraints.txt pins every package to the versions the suite last passed with, so a fresh
# machine next month installs what was tested; `make lock` refreshes it on purpose.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## lock: refresh constraints.txt from the packages installed in .venv (after `make test` passed)
lock:
	@test -x $(BIN)/python || { echo "run make setup first"; exit 1; }
	{ echo "# Versions the whole suite passed with (make lock refreshes it from .venv; make setup installs with it)."; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v -E '^(spmkb|pip|setuptools|wheel)=='; } > constraints.txt
	@echo "constraints.txt: $$(grep -c '==' constraints.txt) pinned packages"

## sample: write the sample deal data and index the sample playbooks into $(STORE)
sample: setup
	$(BIN)/spmkb sample-data --store $(STORE)
	$(BIN)/spmkb index --store $(STORE)

## lab: set up, build the sample data and index, open JupyterLab on the project folder
# Rooted at the project so notebooks/, reviews/ and playbooks/ all open; the search notebook
# opens first. jupyter_server_config.py keeps the shipped notebooks/ free of outputs on save.
lab: sample
	$(BIN)/jupyter lab --config=$(CURDIR)/jupyter_server_config.py --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/notebooks/find-an-asset.ipynb --ServerApp.ip=127.0.0.1

## app: serve the asset-search notebook as a no-code web app (Voila, no code cells) on 127.0.0.1:$(PORT)
# python -m spmkb.app is voila plus two guards (docs/reliability.md, "Hosted app"): at most
# app_max_kernels kernels at once (setting; SPMKB_APP_MAX_KERNELS=8 make app; default 4; one more
# page load gets a 503 "the app is busy" page; each kernel is ≈ 825 MB RSS once the model is loaded)
# and kernels idle for APP_IDLE_S seconds are stopped, even with a tab still open (that tab must
# be reloaded).
APP_IDLE_S ?= 900
app: setup
	@test -d $(STORE)/chroma || $(MAKE) sample
	@echo "spmkb search app: http://127.0.0.1:$(PORT)/"
	SPMKB_STORE="$${SPMKB_STORE:-$(CURDIR)/$(STORE)}" SPMKB_PLAYBOOKS="$${SPMKB_PLAYBOOKS:-$(CURDIR)/playbooks}" \
	$(BIN)/python -m spmkb.app notebooks/find-an-asset.ipynb --no-browser --Voila.ip=127.0.0.1 \
	  --port=$(PORT) --Voila.port_retries=0 \
	  --MappingKernelManager.cull_idle_timeout=$(APP_IDLE_S) --MappingKernelManager.cull_interval=60 \
	  --MappingKernelManager.cull_connected=True

## test: set up and run the whole test suite (lint, unit, integration, notebooks, browser)
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

## test-fast: skip the model, notebook, server and browser tests
test-fast: setup
	$(BIN)/pytest -m "not slow and not browser and not server"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: run every benchmark under bench/ (needs ../shared/data)
bench: setup
	for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(STORE) .pytest_cache tests/output
