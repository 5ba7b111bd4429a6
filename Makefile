# Two commands on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench install chromium

$(BIN)/lambda-ark: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,embedded]"
	touch $@

install: $(BIN)/lambda-ark

demo: install
	$(BIN)/lambda-ark demo

# The report's browser test drives Debian's Chromium (tests/report/test_browser.py); as root (CI) it
# is installed here, otherwise say what to run.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test needs /usr/bin/chromium: run 'sudo apt-get install -y chromium'" >&2; exit 1; \
	  fi; \
	fi

test: install chromium
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/lambda_ark
	$(BIN)/python -m pytest -q -n 3

bench: install
	$(BIN)/python bench/backup.py
	$(BIN)/python bench/repository.py
	$(BIN)/python bench/copy.py
	$(BIN)/python bench/data.py
