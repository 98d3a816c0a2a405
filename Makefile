# The two entry points of the README. Each creates and uses its own virtual environment (.venv).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PRESET ?= default

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
	$(BIN)/attnlib book --preset $(PRESET) --download

test: env
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) _build book/executed
