"""The shipped DAGs parse under the lowest Airflow 3 release the `airflow` extra allows.

The highest release the range allows (`apache-airflow>=3.0.1,<4`) is the one constraints.txt
pins and `make install` installs; tests/deploy/test_wheel.py parses the DAGs against it on
every `make test`. The lowest, 3.0.1 (the common-messaging provider's own floor), is not in
the test environment: this test installs it from the package index into a throwaway venv
(Airflow, the postgres, redis and common-messaging providers; pip picks provider releases
that accept 3.0.1), adds the wheel without dependencies, and parses the DAG folder there.
It downloads a few hundred megabytes and takes minutes, so `make test` does not run it:
select it with `pytest -m airflow_range tests/deploy/test_airflow_range.py`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from test_wheel import _run, wheel  # noqa: F401  (the module-scoped wheel fixture)

pytestmark = [pytest.mark.airflow_range, pytest.mark.slow]

LOWEST_AIRFLOW = "3.0.1"
PROVIDERS = ("apache-airflow-providers-postgres", "apache-airflow-providers-redis",
             "apache-airflow-providers-common-messaging")


@pytest.fixture(autouse=True)
def _only_on_request(request):
    if "airflow_range" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("downloads an Airflow release from the package index: run with -m airflow_range")


def test_dags_parse_under_the_lowest_allowed_airflow(wheel, tmp_path):  # noqa: F811
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    assert _run([base, "-m", "venv", str(venv)]).returncode == 0
    python = str(venv / "bin" / "python")
    done = _run([python, "-m", "pip", "install", "--quiet", f"apache-airflow=={LOWEST_AIRFLOW}", *PROVIDERS],
                timeout=3600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    done = _run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)])
    assert done.returncode == 0, done.stderr[-3000:]
    version = _run([python, "-c", "import airflow; print(airflow.__version__)"]).stdout.strip()
    assert version == LOWEST_AIRFLOW
    home = tmp_path / "airflow"
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "AIRFLOW_HOME": str(home),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    folder = _run([python, "-c", "from pipeline.airflow_integration import dags_path; print(dags_path())"],
                  env=env, cwd=tmp_path).stdout.strip()
    assert Path(folder).is_relative_to(venv)
    script = ("import json, sys; from airflow.models.dagbag import DagBag; bag = DagBag(dag_folder=sys.argv[1]); "
              "print(json.dumps({'dags': sorted(bag.dag_ids), "
              "'errors': {k: str(v)[-400:] for k, v in bag.import_errors.items()}}))")
    done = _run([python, "-c", script, folder], env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    parsed = json.loads(done.stdout.strip().splitlines()[-1])
    assert parsed["errors"] == {}
    assert len(parsed["dags"]) == 6
