# Wirewatch: `make run` and `make test` do all the set-up from a bare Python 3.11.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench bench-extraction bench-feeds bench-nlp bench-backfill bench-latency airflow clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Wirewatch needs Python 3.11, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/python -m pip check
	touch $(STAMP)

run: install
	$(BIN)/python scripts/sample_run.py

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: bench-extraction bench-feeds bench-nlp

bench-extraction: install
	$(BIN)/python benchmarks/extraction.py

bench-feeds: install
	$(BIN)/python benchmarks/feeds.py

bench-nlp: install
	$(BIN)/python benchmarks/events.py
	$(BIN)/python benchmarks/entities.py

bench-backfill: install
	$(BIN)/python benchmarks/backfill.py

bench-latency: install
	$(BIN)/python benchmarks/latency.py

airflow: install
	AIRFLOW_HOME=$(CURDIR)/.wirewatch/airflow AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags \
	AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__CORE__PARALLELISM=4 \
	$(BIN)/airflow standalone

clean:
	rm -rf $(VENV) .wirewatch .pytest_cache
