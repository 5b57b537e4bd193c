VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: test install system-deps bench

# One command runs the whole suite on a fresh machine: system packages, a virtual environment, pytest.
test: $(VENV)/.installed system-deps
	$(PY) -m pytest -q $(PYTEST_ARGS)

install: $(VENV)/.installed

system-deps:
	bash scripts/system-deps.sh

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

bench: $(VENV)/.installed
	$(PY) -m bench.run
