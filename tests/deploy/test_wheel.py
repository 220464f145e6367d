"""The wheel as a user installs it: built from the checkout, installed outside it, run from there.

How the venv is made clean, offline: `python -m venv` (no system site-packages), the
wheel installed with `pip install --no-deps --no-index`, and one `.pth` line naming the
test interpreter's site-packages so that the dependencies resolve without a package
index. A path line in a `.pth` only extends sys.path: the `.pth` files in that folder
(the checkout's editable install among them) are not run, so `pipeline` can only come
from the wheel, which the tests check. The commands run with the venv's own `wirewatch`
script, in a temporary folder, with no PYTHONPATH: nothing of the checkout is visible.

The wheel is built with `pip wheel --no-deps --no-build-isolation` from a copy of the
files a source distribution holds, so the build needs the setuptools of the test
environment (>=77, the dev extra) and no package index, and leaves nothing in the checkout.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

pytestmark = [pytest.mark.wheel, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BUILD_INPUTS = ("pyproject.toml", "setup.py", "LICENSE", "README.md", "pipeline", "sql", "dags")
#: imported by `pipeline` only lazily, behind an extra that the error message names
OPTIONAL_IMPORTS = {"pgserver": "embedded", "airflow": "airflow"}


def _run(command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
         stdin: str | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    tracked = _run(["git", "ls-files", *BUILD_INPUTS], cwd=ROOT).stdout.split()
    assert tracked, "git ls-files found nothing to build from"
    for name in tracked:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes((ROOT / name).read_bytes())
    out = tmp_path_factory.mktemp("dist")
    done = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                 "-w", str(out), str(source)])
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (built,) = out.glob("wirewatch-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A venv outside the checkout with the wheel installed; dependencies through one `.pth` line."""
    home = tmp_path_factory.mktemp("installed")
    venv = home / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    done = _run([base, "-m", "venv", "--without-pip", str(venv)])
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (purelib / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    done = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                 str(wheel)])
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return venv


def _clean_env(venv: Path, **extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


def test_wheel_holds_every_tracked_file_of_the_package_sql_and_dags(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = _run(["git", "ls-files", "pipeline", "sql", "dags"], cwd=ROOT).stdout.split()
    expected = {re.sub(r"^sql/", "pipeline/sql/", re.sub(r"^dags/", "pipeline/airflow_dags/", t)) for t in tracked}
    assert expected - names == set()
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "sql/", "dags/"))]
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert "Requires-Dist: apache-airflow" in metadata and "extra == \"airflow\"" in metadata
    assert not re.search(r"^Requires-Dist: (apache-airflow|pgserver|warcio)[^;]*$", metadata, re.M), \
        "Airflow, pgserver and warcio must sit behind extras"


def test_installed_wheel_migrates_and_analyzes_outside_the_checkout(venv, make_database, tmp_path):
    url = make_database()
    env = _clean_env(venv, WIREWATCH_DATABASE_URL=url, WIREWATCH_HOME=str(tmp_path / "home"))
    where = _run([str(venv / "bin" / "python"), "-c", "import pipeline; print(pipeline.__file__)"], env=env,
                 cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr

    done = _run([str(venv / "bin" / "wirewatch"), "db", "migrate"], env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shipped = sorted(p.name for p in (ROOT / "sql").glob("*.sql"))
    assert done.stdout.strip() == f"applied {len(shipped)} migration(s): " + ", ".join(shipped)
    again = _run([str(venv / "bin" / "wirewatch"), "db", "migrate"], env=env, cwd=tmp_path)
    assert again.stdout.strip() == "applied 0 migration(s)"

    text = tmp_path / "report.txt"
    text.write_text("BEIRUT, March 3 (Reuters) - Israeli aircraft struck a building in southern Lebanon on "
                    "Sunday, killing three people, the Lebanese health ministry said.\n", encoding="utf-8")
    done = _run([str(venv / "bin" / "wirewatch"), "analyze", str(text), "--published-at", "2024-03-03"],
                env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["events"], result
    assert {"text", "entities", "events", "analyzer_version"} <= set(result)


def test_installed_script_usage_errors_are_one_line(venv, tmp_path):
    env = _clean_env(venv)
    for args, needle in ((["nosuch"], "No such command 'nosuch'"), (["extract", "--nosuch", "x"], "--nosuch"),
                         (["feeds", "add"], "Missing argument")):
        done = _run([str(venv / "bin" / "wirewatch"), *args], env=env, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("usage error: "), done.stderr
        assert needle in done.stderr and "Traceback" not in done.stderr
    version = _run([str(venv / "bin" / "wirewatch"), "--version"], env=env, cwd=tmp_path)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert version.returncode == 0 and version.stdout == f"wirewatch {project['version']}\n"


def test_installed_dags_import_against_the_installed_airflow(venv, tmp_path):
    """The DAG files shipped in the wheel parse with the Airflow of this environment.

    Only the Airflow `make` installs (constraints.txt) is tried here; the lowest and
    highest releases the `airflow` extra allows are tried by tests/deploy/test_airflow_range.py
    (marker `airflow_range`, run on request: it downloads an Airflow from the package index).
    """
    env = _clean_env(venv, AIRFLOW_HOME=str(tmp_path / "airflow"), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    dags = _run([str(venv / "bin" / "wirewatch"), "airflow", "dags-path"], env=env, cwd=tmp_path)
    assert dags.returncode == 0, dags.stderr
    folder = Path(dags.stdout.strip())
    assert folder.is_relative_to(venv) and (folder / "feed_monitor.py").is_file()
    script = ("import json, sys; from airflow.dag_processing.dagbag import DagBag; "
              "bag = DagBag(dag_folder=sys.argv[1]); "
              "print(json.dumps({'dags': sorted(bag.dag_ids), 'errors': {k: str(v)[-300:] for k, v in bag.import_errors.items()}}))")
    # no dags_folder setting and nothing on sys.path: the DAG files import from the package
    done = _run([str(venv / "bin" / "python"), "-c", script, str(folder)], env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    parsed = json.loads(done.stdout.strip().splitlines()[-1])
    assert parsed["errors"] == {}
    assert parsed["dags"] == ["backfill_archive", "feed_monitor", "push_ingest", "refresh_dashboards",
                              "reprocess", "websub_renew"]


def test_every_module_pipeline_imports_is_declared():
    """Each third-party module under pipeline/ comes from a core dependency, or is imported
    lazily behind the extra its error message names."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def dist(requirement: str) -> str:
        return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")

    core = {dist(r) for r in project["dependencies"]}
    extras = {name: {dist(r) for r in reqs} for name, reqs in project["optional-dependencies"].items()}
    providers = packages_distributions()
    undeclared = {}
    for path in (ROOT / "pipeline").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "pipeline":
                    continue
                if top in OPTIONAL_IMPORTS:
                    extra = OPTIONAL_IMPORTS[top]
                    assert any(d.startswith(top.replace("_", "-")) or d.startswith("apache-" + top)
                               for d in extras[extra]), f"{top}: not in the {extra} extra"
                    assert f"wirewatch[{extra}]" in path.read_text(encoding="utf-8"), \
                        f"{path.relative_to(ROOT)}: a missing {top} must name the {extra} extra"
                    continue
                dists = {d.lower().replace("_", "-") for d in providers.get(top, [top])}
                if not dists & core:
                    undeclared.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    assert undeclared == {}
