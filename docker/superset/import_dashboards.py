"""Import the dashboards kept as code into Superset, pointed at this stack's warehouse.

Why this exists: the dashboards are committed as Superset's export bundle (a folder
holding `metadata.yaml`, `databases/`, `datasets/`, `charts/`, `dashboards/`, or the
same zipped), and an export carries no usable credentials. The warehouse's address and
its read-only role are deployment settings, so they are written into the bundle's
database files here, just before `superset import-dashboards`. Then the warehouse is
registered under the bundle's database name (or a default one), so SQL Lab works even
when no dashboard exists yet.

A missing or empty dashboards folder is not an error: the stack runs without them.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

log = logging.getLogger("wirewatch.superset")

BUNDLE_MARKER = "metadata.yaml"


def find_bundles(root: Path) -> list[Path]:
    """Export bundles under `root`: folders holding metadata.yaml, and .zip files."""
    if not root.is_dir():
        return []
    folders = sorted({marker.parent for marker in root.rglob(BUNDLE_MARKER)})
    # A bundle's own sub-folders never hold a second metadata.yaml; keep the outermost.
    outermost = [f for f in folders if not any(o != f and o in f.parents for o in folders)]
    return outermost + sorted(root.rglob("*.zip"))


def unpack(bundle: Path, into: Path) -> Path:
    """The bundle as a folder: itself, or a zip's single top folder extracted under `into`."""
    if bundle.is_dir():
        return bundle
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(into)
    markers = sorted(into.rglob(BUNDLE_MARKER))
    if not markers:
        raise SystemExit(f"superset: {bundle} holds no {BUNDLE_MARKER}; export it again from Superset")
    return markers[0].parent


def database_names(bundle_dir: Path) -> list[str]:
    """The `database_name` of every database file in the bundle."""
    names = []
    for path in sorted((bundle_dir / "databases").glob("*.y*ml")):
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if config.get("database_name"):
            names.append(str(config["database_name"]))
    return names


def build_zip(bundle_dir: Path, target: Path, warehouse_uri: str) -> Path:
    """Zip the bundle as Superset exports it, with every database pointed at the warehouse."""
    root = bundle_dir.name
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in bundle_dir.rglob("*") if p.is_file()):
            relative = path.relative_to(bundle_dir)
            data = path.read_bytes()
            if relative.parts[0] == "databases" and path.suffix in (".yaml", ".yml"):
                config = yaml.safe_load(data.decode("utf-8")) or {}
                config["sqlalchemy_uri"] = warehouse_uri
                config.pop("password", None)
                data = yaml.safe_dump(config, sort_keys=False).encode("utf-8")
            archive.writestr(f"{root}/{relative.as_posix()}", data)
    return target


def _superset(*args: str) -> None:
    log.info("superset %s", args[0])
    subprocess.run(["superset", *args], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True, help="Folder of export bundles.")
    parser.add_argument("--uri", required=True, help="SQLAlchemy URI of the warehouse (read-only role).")
    parser.add_argument("--username", required=True, help="Superset user who owns the imports.")
    parser.add_argument("--database-name", required=True, help="Name for the warehouse when no bundle names it.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")

    bundles = find_bundles(args.dir)
    if not bundles:
        log.info("no dashboard bundle under %s: nothing to import", args.dir)
    names: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        for number, bundle in enumerate(bundles):
            work = Path(scratch) / str(number)
            work.mkdir()
            bundle_dir = unpack(bundle, work / "unpacked")
            names += database_names(bundle_dir)
            archive = build_zip(bundle_dir, work / "bundle.zip", args.uri)
            log.info("importing %s", bundle)
            _superset("import-dashboards", "-p", str(archive), "-u", args.username)
    for name in dict.fromkeys(names or [args.database_name]):
        _superset("set-database-uri", "-d", name, "-u", args.uri)
    return 0


if __name__ == "__main__":
    sys.exit(main())
