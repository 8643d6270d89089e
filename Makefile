# Two commands do all the set-up on a fresh machine:
#   make demo   - create .venv if missing, install everything, run the main job end to end
#   make test   - the same environment, then the whole test suite
# TORCH_SPEC picks the torch build: the default takes the CPU wheel on this machine; on a CUDA
# machine `make demo TORCH_SPEC="torch==2.13.0 torchvision==0.28.0"` takes PyPI's CUDA builds.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_SPEC ?= torch==2.13.0
SHARED ?= $(abspath ../shared)
export NEUROALIGN_MIRROR ?= $(SHARED)/data
export BS_INSTALL_DEPENDENCIES := no
export PYTHONUNBUFFERED := 1

.PHONY: demo test lint format install bench clean-venv

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel setuptools
	$(PIP) install -q $(TORCH_SPEC)
	$(PIP) install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/neuroalign demo

test: install
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

bench: install
	$(PY) benchmarks/run_all.py

clean-venv:
	rm -rf $(VENV)
