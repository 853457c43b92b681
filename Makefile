# ipscreen: `make demo` runs the main job on the demo preset, `make test` runs the tests.
# Both create .venv and install the pinned dependencies first (torch before anything
# that could pull a CUDA build of it).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.ipscreen-installed
CAMPAIGN ?= campaigns/demo
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

# One thread per process for torch and BLAS; parallelism comes from worker processes.
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export OMP_WAIT_POLICY := PASSIVE

# GPAW (PBE band gaps) has no wheel: it is built from its sdist (version pinned in
# constraints.txt) against Debian's libxc, OpenBLAS and FFTW3, configured by
# scripts/gpaw_siteconfig.py (serial, no MPI). About 70 s on one core.
GPAW_DEBS := g++ libxc-dev libopenblas-dev libfftw3-dev
GPAW_CONFIG := $(CURDIR)/scripts/gpaw_siteconfig.py

# The report's browser test (tests/test_main_job.py) loads report.html in Debian's headless chromium;
# nothing downloads a browser of its own.
TEST_DEBS := chromium

.PHONY: demo test install bench clean gpaw-debs test-debs

$(STAMP): pyproject.toml constraints.txt scripts/gpaw_siteconfig.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	@$(MAKE) --no-print-directory gpaw-debs
	GPAW_CONFIG=$(GPAW_CONFIG) $(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c constraints.txt --no-binary gpaw gpaw
	$(BIN)/python -c "import gpaw, gpaw.cgpaw; print('gpaw', gpaw.__version__, 'built')"
	@touch $@

# Installs the Debian packages GPAW builds against when missing (root), or says how.
gpaw-debs:
	@missing=$$(for p in $(GPAW_DEBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	inc=$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])'); \
	test -f "$$inc/Python.h" || missing="$$missing python3-dev"; \
	missing=$$(echo $$missing); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing Debian packages for GPAW: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "GPAW needs Debian packages; run: sudo apt-get install $$missing" >&2; exit 1; \
		fi; \
	fi

# Installs the Debian packages the tests need when missing (root), or says how.
test-debs:
	@missing=$$(for p in $(TEST_DEBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	missing=$$(echo $$missing); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing Debian packages for the tests: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "the tests need Debian packages; run: sudo apt-get install $$missing" >&2; exit 1; \
		fi; \
	fi

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ipscreen run --preset demo --campaign $(CAMPAIGN)

# Layers and lint first (seconds), then the tests on every core: one file per worker process
# (--dist loadfile keeps a file's module fixtures, e.g. a relaxed campaign, on one worker).
# Quick local loop: $(BIN)/python -m pytest -m "not slow" -n 2 (about 6.5 minutes on 2 cores).
test: $(STAMP) test-debs
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# About an hour on 2 cores: relax_throughput ~15 min, md_throughput ~5 min, mobo ~40 min.
bench: $(STAMP)
	$(BIN)/python benchmarks/space_enumeration.py
	$(BIN)/python benchmarks/relax_throughput.py
	$(BIN)/python benchmarks/md_throughput.py
	$(BIN)/python benchmarks/mobo.py

clean:
	rm -rf $(VENV) campaigns build src/*.egg-info
