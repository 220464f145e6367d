"""Build hook: the top-level `sql/` and `dags/` travel inside the wheel.

The repository's layout is fixed (`sql/` and `dags/` beside `pipeline/`), but an
installed Wirewatch must migrate a warehouse and hand its DAGs to Airflow without a
checkout. `package_dir` maps the two folders to `pipeline.sql` and
`pipeline.airflow_dags`; `pipeline.store.migrations` and `pipeline.airflow_integration`
read them with importlib.resources (falling back to the checkout's folders when the
code runs from one). Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["pipeline", "pipeline.*"]), "pipeline.sql", "pipeline.airflow_dags"],
    package_dir={"pipeline.sql": "sql", "pipeline.airflow_dags": "dags"},
    package_data={
        "pipeline": ["data/**/*", "sample_site/**/*"],
        "pipeline.sql": ["*.sql"],
        "pipeline.airflow_dags": ["*.py", ".airflowignore"],
    },
    include_package_data=False,
)
