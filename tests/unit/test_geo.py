"""Gazetteer geocoding: countries before cities, aliases, context, precision."""

from __future__ import annotations

import pytest

from pipeline.nlp.geo import default_gazetteer, fold


@pytest.fixture(scope="module")
def gazetteer():
    return default_gazetteer()


@pytest.mark.parametrize(
    ("name", "country", "precision"),
    [
        ("Iraq", "IRQ", "country"),  # not the Iranian city Arak
        ("Sudan", "SDN", "country"),  # not the French town Sedan
        ("U.S.", "USA", "country"),
        ("Britain", "GBR", "country"),
        ("UK", "GBR", "country"),
        ("Albu Kamal", "SYR", "city"),
        ("Al-Qaim", "IRQ", "city"),
        ("Deir Ezzor", "SYR", "city"),
        ("Deir Ezzor province", "SYR", "admin1"),
        ("Raqa", "SYR", "city"),
        ("Hawija", "IRQ", "city"),
        ("Kabul", "AFG", "city"),
        ("the Hiri area", "SYR", "city"),
    ],
)
def test_geo_geocode_country_and_precision(gazetteer, name, country, precision):
    loc = gazetteer.geocode(name, ("SYR", "IRQ"))
    assert loc is not None
    assert (loc.country, loc.precision) == (country, precision)
    assert loc.text == name


def test_geo_city_has_coordinates_and_geonameid(gazetteer):
    loc = gazetteer.geocode("Albu Kamal")
    assert loc.geonameid == 174448
    assert loc.lat == pytest.approx(34.45, abs=0.05) and loc.lon == pytest.approx(40.92, abs=0.05)


def test_geo_context_country_chooses_among_same_names(gazetteer):
    # Several cities are called Tripoli; the article's countries decide.
    assert gazetteer.geocode("Tripoli", ("LBN",)).country == "LBN"
    assert gazetteer.geocode("Tripoli", ("LBY",)).country == "LBY"


def test_geo_unknown_name_gives_none(gazetteer):
    assert gazetteer.geocode("Qwertyzzz") is None


def test_geo_unlisted_named_region_is_kept_by_name(gazetteer):
    found = gazetteer.geocode("Qwertyzzz province", ("SOM",))
    assert (found.name, found.country, found.precision, found.lat) == ("Qwertyzzz", "SOM", "admin1", None)
    assert gazetteer.geocode("Qwertyzzz region", ("SOM", "KEN")).country is None  # which of two: not guessed
    assert gazetteer.geocode("northern region", ("SOM",)) is None  # no name, no place


def test_geo_fold_ignores_accents_apostrophes_hyphens():
    assert fold("Ālbū Kamāl") == fold("Albu Kamal")
    assert fold("Al Qā’im") == fold("Al-Qaim".replace("-", " ")) == "al qaim"


def test_geo_country_code_and_capital(gazetteer):
    assert gazetteer.country_code("the United States") == "USA"
    assert gazetteer.capital_country("Washington") == "USA"
