# The two entry points of the README. Each creates and uses its own virtual environment (.venv).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PRESET ?= default
# `make book` trains and analyses on a local Dask cluster of one single-threaded worker per core (on 2 cores the
# default book's small models train twice as fast as on one 2-thread process); WORKERS=0 runs them in this process.
WORKERS ?= $(shell nproc)

.PHONY: book test env clean

$(BIN)/attnlib: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet --editable ".[book,cluster,test]"
	touch $@

env: $(BIN)/attnlib

# --download: fetch the preset's missing datasets (verified by checksum) before training; offline, the data
# already in $ATTNLIB_DATA (default data/) is used and a missing dataset stops the build with one line.
book: env
	$(BIN)/attnlib book --preset $(PRESET) --download $(if $(filter-out 0,$(WORKERS)),--workers $(WORKERS))

test: env
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) _build book/executed
