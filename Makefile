# Wirewatch: `make run` and `make test` do all the set-up from a bare Python 3.11.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Superset lives in its own virtual environment: its dependencies must not meet Airflow's.
# Flask-Caching above 2.3.1 breaks its metastore cache; 6.1.0 imports cachetools undeclared.
SUPERSET_VENV := .venv-superset
SUPERSET_STAMP := $(SUPERSET_VENV)/.installed
SUPERSET_PACKAGES := apache-superset==6.1.0 flask-caching==2.3.1 cachetools==8.0.2 rich==15.0.0 psycopg2-binary==2.9.13

.PHONY: install chromium run test fuzz chaos bench bench-extraction bench-feeds bench-nlp bench-docevents bench-contrast train-events bench-backfill bench-backfill-throughput bench-latency bench-celery celery-test airflow dashboard clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "make pins everything for Python 3.11 (constraints.txt), found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# everything the tests need: the library, Airflow on Celery, the embedded server, test tools
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,celery,embedded]'
	$(BIN)/python -m pip check
	touch $(STAMP)

run: install
	$(BIN)/python scripts/sample_run.py

# The whole suite: the dashboard's browser test needs Superset (its own venv) and Debian's
# chromium, so both are installed first (chromium only where apt-get runs as root; else
# that one test says why it skips). `make -j3 test` installs the three side by side.
test: install $(SUPERSET_STAMP) chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Property-based fuzzing of every parser of outside input at the full budget (over 100,000
# generated inputs; `make test` runs the same targets at a short one).
fuzz: install
	WIREWATCH_FUZZ=full $(BIN)/python -m pytest tests/fuzz -m fuzz -q $(PYTEST_ARGS)

# Fault injection against the real PostgreSQL (WIREWATCH_TEST_DATABASE_URL, else embedded), a Redis of
# its own and the sample site at the full budget: 30 kill -9 of each command, pg_terminate_backend every
# 200 ms, Redis stopped during pushes (`make test` runs the same tests at a short one).
chaos: install
	WIREWATCH_CHAOS=full $(BIN)/python -m pytest tests/chaos -m chaos -q -rxX $(PYTEST_ARGS)

chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "chromium is not installed (needs root and apt-get): the dashboard browser test will be skipped" 

bench: bench-extraction bench-feeds bench-nlp

bench-extraction: install
	$(BIN)/python benchmarks/extraction.py

# the 1,000-feed comparison and the corpus check, then 10,000 feeds, 10% hostile, in under 5 minutes
bench-feeds: install
	$(BIN)/python benchmarks/feeds.py
	$(BIN)/python benchmarks/feeds_scale.py

bench-nlp: install
	$(BIN)/python benchmarks/events.py
	$(BIN)/python benchmarks/entities.py

# Whole documents, locked test split and the written wire articles, keyword baseline in the same run;
# floors in benchmarks/docevents_floors.json and docevents_wire_floors.json
bench-docevents: install
	$(BIN)/python benchmarks/docevents_bench.py
	$(BIN)/python benchmarks/docevents_bench.py --split wire

# The codebook's hard cases as minimal pairs (benchmarks/contrast/, our own text): the locked test half
bench-contrast: install
	$(BIN)/python benchmarks/contrast_bench.py

# The event gate (pipeline/data/event_model.json) from the coded corpus (train and dev splits) and
# the PLOVER and PETRARCH2 sentences in ../shared/eval; prints cross-validated figures
train-events: install
	$(BIN)/python scripts/train_event_model.py

bench-backfill: install
	$(BIN)/python benchmarks/backfill.py windows

bench-backfill-throughput: install
	$(BIN)/python benchmarks/backfill.py

bench-latency: install
	$(BIN)/python benchmarks/latency.py

# Airflow on Celery on this machine (local Redis and PostgreSQL): 1 vs 2 workers, and the run test
bench-celery: install
	$(BIN)/python benchmarks/celery_scaleout.py

celery-test: install
	$(BIN)/python -m pytest tests/scaleout -m scaleout $(PYTEST_ARGS)

# airflow standalone (http://localhost:8080) with the DAGs, over the warehouse `wirewatch db url`
# names (WIREWATCH_DATABASE_URL, else the embedded server) as the wirewatch_warehouse Connection
# (AIRFLOW_CONN_WIREWATCH_WAREHOUSE, when set, wins); `wirewatch airflow setup` first creates the
# wirewatch_fetch pool and migrates the warehouse.
airflow: install
	@export AIRFLOW_HOME=$(CURDIR)/.wirewatch/airflow AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags \
	  AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__CORE__PARALLELISM=4 \
	&& url="$$($(BIN)/wirewatch db url)" \
	&& conn="$$($(BIN)/python -c 'import json, sys; print(json.dumps({"conn_type": "postgres", "extra": {"dsn": sys.argv[1]}}))' "$$url")" \
	&& export AIRFLOW_CONN_WIREWATCH_WAREHOUSE="$${AIRFLOW_CONN_WIREWATCH_WAREHOUSE:-$$conn}" \
	&& $(BIN)/airflow db migrate >/dev/null \
	&& $(BIN)/wirewatch airflow setup --migrate \
	&& exec $(BIN)/airflow standalone

$(SUPERSET_STAMP): Makefile
	test -x $(SUPERSET_VENV)/bin/python || $(PYTHON) -m venv $(SUPERSET_VENV)
	$(SUPERSET_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SUPERSET_VENV)/bin/python -m pip install --quiet $(SUPERSET_PACKAGES)
	touch $(SUPERSET_STAMP)

# Superset on http://127.0.0.1:8088 (DASHBOARD_PORT) over the warehouse, dashboard imported.
dashboard: install $(SUPERSET_STAMP)
	$(BIN)/python scripts/dashboard.py serve --port $(or $(DASHBOARD_PORT),8088)

clean:
	@# the embedded warehouse first: deleting its folder under a running server leaves the server behind
	-@if [ -x $(BIN)/wirewatch ] && [ -d .wirewatch/pgdata ]; then \
		WIREWATCH_DATABASE_URL= WIREWATCH_HOME=.wirewatch $(BIN)/wirewatch db stop; fi
	rm -rf $(VENV) $(SUPERSET_VENV) .wirewatch .pytest_cache
