# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "orebook needs Python >= 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: setup
	$(BIN)/orebook demo

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python benchmarks/drillholes.py
	$(BIN)/python benchmarks/variogram.py
	$(BIN)/python benchmarks/search.py
	$(BIN)/python benchmarks/krige3d.py
	$(BIN)/python benchmarks/resources.py
	$(BIN)/python benchmarks/balance.py
	$(BIN)/python benchmarks/distributed.py --size medium
	$(BIN)/python benchmarks/web_load.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis demo-output
