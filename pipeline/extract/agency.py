"""Originating news agency and dateline, read from the edges of a body and cut from it.

Wire copy republished by a site carries its origin in a few fixed shapes: a dateline
opening the first paragraph ("BEIRUT (Reuters) -", "WASHINGTON, Nov 4 (AP) —"), a
place line ("Deir Ezzor - Arab Today"), and credit lines closing the story ("Source: AFP",
"-- AP", "© AFP 2017"). They are metadata, not story: an NLP stage reading "AFP" as an
organisation in the story, or "BEIRUT" as where an event happened, would be wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Canonical agency name -> ways it is written. Matching is case-sensitive where the short
# form is also an ordinary word (AP, PA, AA), case-insensitive for the long forms.
AGENCIES: dict[str, tuple[str, ...]] = {
    "AFP": ("AFP", "Agence France-Presse", "Agence France Presse", "AFP Relaxnews"),
    "Reuters": ("Reuters", "REUTERS", "Thomson Reuters"),
    "AP": ("AP", "Associated Press", "The Associated Press"),
    "dpa": ("dpa", "DPA", "Deutsche Presse-Agentur"),
    "Xinhua": ("Xinhua", "XINHUA", "Xinhua News Agency"),
    "EFE": ("EFE", "Agencia EFE"),
    "ANSA": ("ANSA",),
    "UPI": ("UPI", "United Press International"),
    "Anadolu": ("Anadolu", "Anadolu Agency", "AA", "Anadolu Ajansı"),
    "Kyodo": ("Kyodo", "Kyodo News", "KYODO"),
    "PTI": ("PTI", "Press Trust of India"),
    "IANS": ("IANS", "Indo-Asian News Service"),
    "TASS": ("TASS", "ITAR-TASS"),
    "Interfax": ("Interfax",),
    "RIA Novosti": ("RIA Novosti", "RIA"),
    "Yonhap": ("Yonhap", "Yonhap News Agency"),
    "AAP": ("AAP", "Australian Associated Press"),
    "PA": ("PA", "PA Media", "Press Association"),
    "Bernama": ("Bernama", "BERNAMA"),
    "Antara": ("Antara", "ANTARA"),
    "KUNA": ("KUNA",),
    "WAM": ("WAM",),
    "SANA": ("SANA",),
    "IRNA": ("IRNA",),
    "APA": ("APA",),
    "CNA": ("CNA",),
    "SPA": ("SPA", "Saudi Press Agency"),
    "MENA": ("MENA",),
    "Notimex": ("Notimex",),
    "Bloomberg": ("Bloomberg",),
}
_ALIAS = {alias: name for name, aliases in AGENCIES.items() for alias in aliases}
_ALIAS_LOWER = {alias.lower(): name for alias, name in _ALIAS.items() if len(alias) > 4}
_AGENCY = "|".join(sorted((re.escape(a) for a in _ALIAS), key=len, reverse=True))
_ONE_AGENCY = rf"(?:{_AGENCY})"
# "AFP", "AFP/Reuters", "AFP and Reuters", "Reuters, AP"
_AGENCY_LIST = rf"(?P<agency>{_ONE_AGENCY}(?:\s*(?:/|,|&|and)\s*{_ONE_AGENCY})*)"
_DASH = r"[-–—‒―]+"

# Closing credit lines, tested against a whole (last) paragraph.
_CREDIT_LINES = [
    re.compile(rf"^\(?\s*(?:sources?|souece|soruce|sourse|via|credits?|agencies)\s*[:\-–—]\s*{_AGENCY_LIST}\s*\.?\s*\)?$", re.I),
    re.compile(rf"^[\(\[]?\s*(?:with|additional reporting by|reporting by|contributed by)\s+{_AGENCY_LIST}\s*(?:contributed to this report)?\.?\s*[\)\]]?$", re.I),
    re.compile(rf"^{_AGENCY_LIST}\s+contributed to this report\.?$", re.I),
    re.compile(rf"^(?:©|\(c\)|copyright)\s*(?:\d{{4}}\s*)?(?:the\s+)?{_AGENCY_LIST}(?:\s*\d{{4}})?[.,]?(?:\s*all rights reserved\.?)?$", re.I),
    re.compile(rf"^(?:{_DASH}\s*)?\(?\s*{_AGENCY_LIST}\s*\)?\s*\.?$"),
]
# A credit glued to the end of the last paragraph: "... he said. -- AFP", "... (Reuters)".
_CREDIT_SUFFIX = re.compile(rf"(?<=[.!?\"”’)])\s*(?:{_DASH}\s*{_AGENCY_LIST}|\(\s*{_AGENCY_LIST.replace('agency', 'agency2')}\s*\))\s*\.?$")
_REUTERS_TRAILER = re.compile(r"^\(?(?:reporting|writing|additional reporting) by [^;]{2,80}(?:;|$).*(?:editing by .*)?\)?$", re.I)

# Datelines opening the first paragraph.
_PLACE_CAPS = r"[A-Z][A-Z.'’\-]+(?:\s+[A-Z][A-Z.'’\-]+){0,3}"
_PLACE_MIXED = r"[A-Z][\w.'’\-]+(?:\s+[A-Z][\w.'’\-]+){0,3}"
_DATE_PART = r"(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,?\s+\d{4})?|\d{1,2}\s+[^\W\d_]{3,9}\.?(?:\s+\d{4})?)"
_DATELINE_AGENCY = re.compile(
    rf"^(?:(?P<place>{_PLACE_MIXED}(?:,\s*{_PLACE_MIXED})?)(?:,\s*{_DATE_PART})?\s*)?"
    rf"\(\s*{_AGENCY_LIST}\s*\)\s*(?:{_DASH}|:)\s*"
)
_DATELINE_CAPS = re.compile(
    rf"^(?P<place>{_PLACE_CAPS}(?:,\s*{_PLACE_MIXED})?)(?:,\s*{_DATE_PART})?\s*(?:{_DASH}|:)\s+(?=[A-Z\"“‘'])"
)
# "Deir Ezzor - Arab Today": a short line of its own, place then outlet.
_PLACE_LINE = re.compile(rf"^(?P<place>{_PLACE_MIXED})\s+{_DASH}\s+(?P<outlet>[A-Z][\w'’&\-]*(?:\s+[\w'’&\-]+){{0,3}})$")
_MAX_PLACE_LINE = 60
# All-caps openers that are labels, not places.
_NOT_PLACES = frozenset(
    {"BREAKING", "UPDATE", "UPDATED", "EXCLUSIVE", "WATCH", "LIVE", "ANALYSIS", "OPINION", "EDITORIAL",
     "PHOTOS", "VIDEO", "NOTE", "EDITOR'S NOTE", "CORRECTION", "WARNING", "FACT CHECK", "COMMENT", "NEW"}
)


@dataclass(frozen=True, slots=True)
class Attribution:
    """A body with its agency credit and dateline cut out, and what they said."""

    paragraphs: tuple[str, ...]
    agency: str | None
    dateline: str | None


def normalise_agency(name: str) -> str | None:
    """The canonical name of an agency as written, or None when it is not one we know."""
    name = name.strip()
    return _ALIAS.get(name) or _ALIAS_LOWER.get(name.lower())


def names_agency(line: str) -> bool:
    """True when a short credit or copyright line names a news agency we know."""
    return bool(re.search(rf"(?<![\w-]){_AGENCY_LIST}(?![\w-])", line))


def split_attribution(paragraphs: list[str] | tuple[str, ...]) -> Attribution:
    """Cut the dateline off the first paragraph and credit lines off the end."""
    paras = [p.strip() for p in paragraphs if p and p.strip()]
    agencies: list[str] = []
    dateline = None
    if paras:
        dateline, first, agency = _split_dateline(paras[0])
        if agency:
            agencies.append(agency)
        if first:
            paras[0] = first
        else:
            paras.pop(0)
    # Credit lines stack up at the end ("Source: AFP" then "© AFP 2017"); peel them all.
    while paras:
        last = paras[-1]
        found = _credit_line(last)
        if found is not None:
            agencies.extend(a for a in found if a)
            paras.pop()
            continue
        match = _CREDIT_SUFFIX.search(last)
        if match:
            agencies.extend(_agencies_in(match.group("agency") or match.group("agency2")))
            paras[-1] = last[: match.start()].rstrip()
        break
    agency = None
    if agencies:
        # The dateline's agency is the origin; else the first credit found from the end.
        agency = agencies[0]
    return Attribution(tuple(paras), agency, dateline)


def _split_dateline(first: str) -> tuple[str | None, str, str | None]:
    """(place, rest of the paragraph, agency) for a paragraph that may open with a dateline."""
    match = _DATELINE_AGENCY.match(first)
    if match:
        agencies = _agencies_in(match.group("agency"))
        place = _place(match.group("place")) if match.group("place") else None
        return place, first[match.end():].lstrip(), agencies[0] if agencies else None
    if len(first) <= _MAX_PLACE_LINE:
        match = _PLACE_LINE.match(first)
        if match:
            outlet = match.group("outlet").strip()
            return _place(match.group("place")), "", normalise_agency(outlet)
    match = _DATELINE_CAPS.match(first)
    if match and len(match.group("place").replace(" ", "")) >= 3 and match.group("place").upper() not in _NOT_PLACES:
        return _place(match.group("place")), first[match.end():].lstrip(), None
    return None, first, None


def _credit_line(line: str) -> list[str | None] | None:
    """The agencies a closing credit line names, or None."""
    if len(line) > 200:
        return None
    for pattern in _CREDIT_LINES:
        match = pattern.match(line)
        if match:
            return list(_agencies_in(match.group("agency")))
    if _REUTERS_TRAILER.match(line) and re.search(r"\bediting by\b", line, re.I):
        return ["Reuters"]
    return None


def _agencies_in(text: str) -> list[str]:
    names = []
    for part in re.split(r"\s*(?:/|,|&|\band\b)\s*", text):
        name = normalise_agency(part)
        if name and name not in names:
            names.append(name)
    return names


def _place(place: str) -> str:
    """A dateline place in the case people write it: "BEIRUT" -> "Beirut"."""
    words = place.strip().rstrip(",").split()
    return " ".join(w.capitalize() if w.isupper() and len(w.strip(",.")) > 2 else w for w in words)
