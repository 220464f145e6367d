"""The poison corpus's manifest (`tests/fixtures/poison/MANIFEST.tsv`), read by the unit and integration tests."""

from __future__ import annotations

import csv
from pathlib import Path

POISON = Path(__file__).resolve().parent / "fixtures" / "poison"


def poison_rows(kind: str | None = None) -> list[dict[str, str]]:
    """Rows of the manifest (file, kind, content_type, expect, why), of one kind or all."""
    with (POISON / "MANIFEST.tsv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    for row in rows:
        row["content_type"] = row["content_type"].replace("\\0", "\x00")
    return [row for row in rows if kind is None or row["kind"] == kind]
