# The README's two commands: `make test` and `make reproduce`. Both create .venv and install what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_STAMP := data/.prepared

.PHONY: install data test reproduce report export readme lab clean-venv

$(STAMP): settings.ini setup.py
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found. Install Python 3.11 (Debian: apt-get install python3.11 python3.11-venv) or run: make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name python3 >/dev/null
	@touch $(STAMP)

install: $(STAMP)

$(DATA_STAMP): $(STAMP)
	$(BIN)/ctrlrepro data

data: $(DATA_STAMP)

test: $(DATA_STAMP)
	$(BIN)/nbdev_test --n_workers 2 --timing
	$(BIN)/python -m pytest -q tests

reproduce: $(DATA_STAMP)
	$(BIN)/ctrlrepro reproduce --scale cpu

report: $(STAMP)
	$(BIN)/ctrlrepro report --scale cpu

export: $(STAMP)
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean

readme: $(STAMP)
	$(BIN)/jupyter nbconvert --to markdown --stdout nbs/index.ipynb 2>/dev/null > README.md.tmp && mv README.md.tmp README.md

lab: $(STAMP)
	$(BIN)/jupyter lab nbs

clean-venv:
	rm -rf $(VENV)
