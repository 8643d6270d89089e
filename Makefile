# Two commands do all the set-up on a fresh machine:
#   make demo   - create .venv if missing, install everything, run the main job end to end
#   make test   - the same environment, then the whole test suite
# TORCH_SPEC pins the torch / torchvision pair: PyPI's Linux builds of this pair carry CUDA and
# run on CPU-only machines as well. To keep a torch you installed yourself, create the venv with
# it and run `make install TORCH_SPEC=` (empty: nothing is pinned, your pair stays).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
SHARED ?= $(abspath ../shared)
export NEUROALIGN_MIRROR ?= $(SHARED)/data
export BS_INSTALL_DEPENDENCIES := no
export PYTHONUNBUFFERED := 1

.PHONY: demo test lint format install bench clean-venv

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel setuptools
	$(if $(strip $(TORCH_SPEC)),$(PIP) install -q $(TORCH_SPEC))
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
	$(PIP) install -q -e ".[dev,bench]"
	$(PY) benchmarks/run_all.py

clean-venv:
	rm -rf $(VENV)
