# ipscreen: `make demo` runs the main job on the demo preset, `make test` runs the tests.
# Both create .venv and install the pinned dependencies first (torch before anything
# that could pull a CUDA build of it).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.ipscreen-installed
CAMPAIGN ?= campaigns/demo

# One thread per process for torch and BLAS; parallelism comes from worker processes.
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export OMP_WAIT_POLICY := PASSIVE

.PHONY: demo test install bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ipscreen run --preset demo --campaign $(CAMPAIGN)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/space_enumeration.py

clean:
	rm -rf $(VENV) campaigns build src/*.egg-info
