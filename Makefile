# spatialecon — every target installs what it needs into .venv first: `make maps` only what
# running needs, the test, bench, lint and notebook targets the development extras as well.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-runtime
DEV    := $(VENV)/.installed-dev
# matplotlib must never try to open a window (CI, servers, headless laptops)
export MPLBACKEND := Agg

.PHONY: install maps test test-fast fuzz bench lint notebooks clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $(DEV)

maps: $(STAMP)
	$(BIN)/spatialecon maps

test: $(DEV)
	$(BIN)/python -m pytest -q

test-fast: $(DEV)
	$(BIN)/python -m pytest -q -m "not slow"

# the differential suite with ten times the CI budget; its summary goes to outputs/
fuzz: $(DEV)
	SPATIALECON_HYPOTHESIS=slow SPATIALECON_DIFF_SUMMARY=outputs/differential_summary.json \
		$(BIN)/python -m pytest -q tests/test_differential.py

notebooks: $(DEV)
	$(BIN)/python notebooks/execute.py

bench: $(DEV)
	$(BIN)/python -m benchmarks

lint: $(DEV)
	$(BIN)/ruff check spatialecon tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
	find outputs -type f ! -name .gitkeep -delete
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
