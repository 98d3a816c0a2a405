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
	$(BIN)/pip install --quiet --editable ".[book,test]"
	touch $@

env: $(BIN)/attnlib

book: env
	$(BIN)/attnlib book --preset $(PRESET)

test: env
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) _build book/executed
