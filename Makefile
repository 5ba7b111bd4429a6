# Two commands on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench install

$(BIN)/lambda-ark: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/lambda-ark

demo: install
	$(BIN)/lambda-ark demo

test: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/lambda_ark
	$(BIN)/python -m pytest -q -n 3

bench: install
	$(BIN)/python bench/backup.py
	$(BIN)/python bench/repository.py
	$(BIN)/python bench/copy.py
	$(BIN)/python bench/data.py
