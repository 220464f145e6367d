"""Floor files of the quality benchmarks: `{"figure": floor, "max_figure": ceiling, "_comment": ...}`."""

from __future__ import annotations

import json
from pathlib import Path


def report_floors(path: Path, figures: dict[str, float | None]) -> int:
    """Print each figure under its floor (or over its `max_` ceiling) and the verdict; 1 when any failed.
    A figure the run did not measure (None or absent) is not judged."""
    floors = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if not k.startswith("_")}
    failures = []
    for key, floor in floors.items():
        ceiling = key.startswith("max_")
        value = figures.get(key.removeprefix("max_"))
        if value is not None and (value > floor if ceiling else value < floor):
            failures.append(f"FLOOR {key}: {value:.3f} vs {floor}")
    for line in failures:
        print(line)
    print(f"floors ({path.name}): " + ("FAILED" if failures else "held"))
    return 1 if failures else 0
