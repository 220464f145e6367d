"""Agency credits and datelines at the edges of a body."""

from __future__ import annotations

import pytest

from pipeline.extract.agency import normalise_agency, split_attribution

STORY = "The talks ended without agreement on Tuesday, officials said."


@pytest.mark.parametrize(
    ("closing", "agency"),
    [
        ("Source: AFP", "AFP"),
        ("Souece: AFP", "AFP"),
        ("Sources: AFP/Reuters", "AFP"),
        ("(Reuters)", "Reuters"),
        ("-- AP", "AP"),
        ("— dpa", "dpa"),
        ("© AFP 2017", "AFP"),
        ("Copyright 2017 The Associated Press. All rights reserved.", "AP"),
        ("(With AFP)", "AFP"),
        ("Xinhua", "Xinhua"),
        ("Source: Anadolu Agency", "Anadolu"),
        ("Reporting by Tom Perry; Editing by Alison Williams", "Reuters"),
    ],
)
def test_split_attribution_reads_and_cuts_closing_credit(closing: str, agency: str) -> None:
    result = split_attribution([STORY, closing])
    assert result.paragraphs == (STORY,)
    assert result.agency == agency


def test_split_attribution_reads_credit_glued_to_last_paragraph() -> None:
    result = split_attribution([STORY, "Both sides will meet again next week. -- AFP"])
    assert result.paragraphs[-1] == "Both sides will meet again next week."
    assert result.agency == "AFP"


@pytest.mark.parametrize(
    ("first", "place", "agency", "rest"),
    [
        ("BEIRUT (Reuters) - Syrian forces advanced.", "Beirut", "Reuters", "Syrian forces advanced."),
        ("WASHINGTON, Nov 4 (AP) — The Senate voted.", "Washington", "AP", "The Senate voted."),
        ("KABUL, Afghanistan (AFP) - Taliban fighters", "Kabul, Afghanistan", "AFP", "Taliban fighters"),
        ("(Reuters) — The attorney general", None, "Reuters", "The attorney general"),
        ("NEW YORK — Stocks fell on Monday.", "New York", None, "Stocks fell on Monday."),
    ],
)
def test_split_attribution_reads_and_cuts_dateline(first: str, place: str | None, agency: str | None, rest: str) -> None:
    result = split_attribution([first, STORY])
    assert result.dateline == place
    assert result.agency == agency
    assert result.paragraphs == (rest, STORY)


def test_split_attribution_place_line_is_cut_whole() -> None:
    result = split_attribution(["Deir Ezzor - Arab Today", STORY, "Souece: AFP"])
    assert result.dateline == "Deir Ezzor"
    assert result.agency == "AFP"
    assert result.paragraphs == (STORY,)


@pytest.mark.parametrize(
    "text",
    [
        "BREAKING: The minister resigned.",
        "The AP style guide changed. Officials said so.",
        "Reuters reported on Monday that the talks had failed.",
        "US - China trade talks resumed on Monday in Geneva.",
    ],
)
def test_split_attribution_leaves_ordinary_paragraphs(text: str) -> None:
    result = split_attribution([text, STORY])
    assert result.paragraphs == (text, STORY)
    assert result.dateline is None
    assert result.agency is None


@pytest.mark.parametrize(
    ("written", "name"),
    [("Agence France-Presse", "AFP"), ("The Associated Press", "AP"), ("DPA", "dpa"), ("reuters", "Reuters"), ("Jane Doe", None)],
)
def test_normalise_agency(written: str, name: str | None) -> None:
    assert normalise_agency(written) == name
