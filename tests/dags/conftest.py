"""Fixtures of the DAG tests: the parsed DAG folder, the warehouse as an Airflow connection,
and the task states of a `dag.test()` run."""

from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="session")
def dagbag(airflow_home):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


@pytest.fixture
def warehouse(migrated_url, monkeypatch) -> str:
    """The emptied test warehouse, given to the DAGs' tasks as the Airflow connection they read."""
    import json

    monkeypatch.setenv("AIRFLOW_CONN_WIREWATCH_WAREHOUSE",
                       json.dumps({"conn_type": "postgres", "extra": {"dsn": migrated_url}}))
    return migrated_url


@pytest.fixture
def task_states():
    """`task_states(run)`: task id -> the states of its instances in a `dag.test()` run."""
    from airflow.models import TaskInstance
    from airflow.utils.session import create_session

    def states(run) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        with create_session() as session:
            for ti in session.query(TaskInstance).filter(TaskInstance.dag_id == run.dag_id,
                                                         TaskInstance.run_id == run.run_id):
                found.setdefault(ti.task_id, set()).add(str(ti.state))
        return found

    return states
