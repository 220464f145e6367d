"""The word lists the NLP stage reads from `pipeline/data/`: data kept out of code.

Each loader parses one tab-separated file once per process (`lru_cache`) and returns
plain tuples and dicts, so components and tests share one copy and editing a list
needs no code change.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from importlib import resources

from pipeline.errors import ConfigError

logger = logging.getLogger(__name__)



@dataclass(frozen=True, slots=True)
class Organisation:
    """A named group: its canonical name, NER label, sector, country and aliases."""

    canonical: str
    label: str
    sector: str | None
    country: str | None
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Place:
    """A hand-kept gazetteer place, for spellings the city gazetteer lacks."""

    name: str
    admin1: str | None
    country: str
    lat: float | None
    lon: float | None
    geonameid: int | None
    precision: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Trigger:
    """An event trigger: a head lemma, lemmas required among its neighbours, the event."""

    lemma: str
    companions: tuple[str, ...]
    type: str
    mode: str | None
    priority: int


def _rows(name: str, min_columns: int) -> list[list[str]]:
    """Non-comment rows of a data file, each padded to `min_columns` fields."""
    try:
        text = resources.files("pipeline").joinpath("data", name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"data file pipeline/data/{name} is missing: reinstall the package") from None
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) < min_columns - 1 or not fields[0]:
            raise ConfigError(f"pipeline/data/{name} line {number}: expected {min_columns} tab-separated fields")
        rows.append(fields + [""] * (min_columns - len(fields)))
    return rows


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split("|") if v.strip())


@functools.lru_cache(maxsize=1)
def organisations() -> tuple[Organisation, ...]:
    """Armed groups, IGOs, NGOs and agencies from `organisations.tsv`."""
    return tuple(
        Organisation(r[0], r[1] or "ORG", r[2] or None, r[3] or None, _split(r[4]))
        for r in _rows("organisations.tsv", 5)
    )


@functools.lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    """Hand-kept places from `places.tsv`."""
    out = []
    for r in _rows("places.tsv", 8):
        out.append(
            Place(
                name=r[0],
                admin1=r[1] or None,
                country=r[2],
                lat=float(r[3]) if r[3] else None,
                lon=float(r[4]) if r[4] else None,
                geonameid=int(r[5]) if r[5] else None,
                precision=r[6] or "city",
                aliases=_split(r[7]),
            )
        )
    return tuple(out)


@functools.lru_cache(maxsize=1)
def country_aliases() -> dict[str, str]:
    """Common country names and abbreviations -> ISO 3166 alpha-3."""
    return {r[0]: r[1] for r in _rows("country_aliases.tsv", 2)}


@functools.lru_cache(maxsize=1)
def demonyms() -> dict[str, str | None]:
    """Nationality words -> ISO3 (None for peoples without one state, e.g. Kurds)."""
    out: dict[str, str | None] = {}
    for r in _rows("demonyms.tsv", 2):
        for word in _split(r[0]):
            out[word] = r[1] or None
    return out


@functools.lru_cache(maxsize=1)
def triggers() -> dict[str, tuple[Trigger, ...]]:
    """Event triggers by head lemma, most specific (most companions) first."""
    by_lemma: dict[str, list[Trigger]] = {}
    for r in _rows("triggers.tsv", 4):
        words = r[0].split()
        trig = Trigger(words[0], tuple(words[1:]), r[1], None if r[2] in ("", "-") else r[2], int(r[3]))
        by_lemma.setdefault(trig.lemma, []).append(trig)
    return {k: tuple(sorted(v, key=lambda t: (-len(t.companions), -t.priority))) for k, v in by_lemma.items()}


@functools.lru_cache(maxsize=1)
def mode_cues() -> dict[str, dict[str, str]]:
    """Per event type, lemma -> mode."""
    out: dict[str, dict[str, str]] = {}
    for r in _rows("mode_cues.tsv", 3):
        out.setdefault(r[0], {})[r[1]] = r[2]
    return out


@functools.lru_cache(maxsize=1)
def actor_nouns() -> dict[str, str]:
    """Common-noun lemma -> sector code."""
    return {r[0]: r[1] for r in _rows("actor_nouns.tsv", 2)}


@functools.lru_cache(maxsize=1)
def group_nouns() -> dict[str, tuple[str, ...]]:
    """Group-noun lemma -> canonical names it may stand for."""
    return {r[0]: _split(r[1]) for r in _rows("group_nouns.tsv", 2)}
