"""spaCy components around the statistical NER: line breaks, gazetteers, places, canonical names.

The small English model labels Syrian towns as people, misses "IS" and calls "Daesh" a
place. Rather than retrain it, the pipeline brackets `ner`:

- `wirewatch_line_breaks` (before the parser) starts a sentence at every line break, so
  a subheading such as "- Fleeing civilians -" is not glued to the next sentence;
- `wirewatch_groups` (an entity ruler before `ner`) fixes named groups and hand-kept
  places from `pipeline/data/`; `ner` keeps those spans and labels the rest;
- `wirewatch_countries` (an entity ruler after `ner`, not overwriting) adds countries and
  nationality words the model missed;
- `wirewatch_places` relabels PERSON/ORG mentions that are gazetteer cities of a country
  the article names ("Albu Kamal" in a text about Syria) or follow a place preposition;
- `wirewatch_canonical` gives every entity a document-level `canonical` name.
"""

from __future__ import annotations

import logging
import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.nlp import lexicon
from pipeline.nlp.geo import default_gazetteer, fold

logger = logging.getLogger(__name__)

PLACE_LABELS = ("GPE", "LOC", "FAC")
NAME_LABELS = ("PERSON", "ORG", "NORP", "GPE", "LOC", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW")
_PLACE_PREPOSITIONS = {"in", "near", "at", "outside", "around", "from", "into", "toward", "towards", "across"}
_PLACE_NOUNS = {"town", "city", "village", "outskirts", "province", "region", "area", "district", "suburb", "capital"}

if not Span.has_extension("canonical"):
    Span.set_extension("canonical", default=None)
if not Doc.has_extension("countries"):
    Doc.set_extension("countries", default=None)


@Language.component("wirewatch_line_breaks", assigns=["token.is_sent_start"])
def mark_line_breaks(doc: Doc) -> Doc:
    """Start a sentence after every line break: lines are paragraphs or subheadings."""
    for token in doc[:-1]:
        if "\n" in token.whitespace_ or (token.is_space and "\n" in token.text):
            nxt = doc[token.i + 1]
            if not nxt.is_space:
                nxt.is_sent_start = True
    return doc


@Language.factory("wirewatch_norms", assigns=["token.norm"])
def make_norm_fixer(nlp: Language, name: str) -> NormFixer:
    return NormFixer(nlp)


class NormFixer:
    """Keep acronyms that spell English words ("IS", "WHO") from being parsed as those words.

    Runs first: the tagger and parser read a token's NORM, so giving "IS" the norm
    "isis" makes it a proper noun instead of the verb "is" (which broke "carried out
    by IS killed ..." into a passive auxiliary).
    """

    def __init__(self, nlp: Language) -> None:
        stop = nlp.Defaults.stop_words
        self.norms = {
            alias: alias.lower() * 2
            for org in lexicon.organisations()
            for alias in (org.canonical, *org.aliases)
            if alias.isupper() and " " not in alias and alias.lower() in stop
        }

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            norm = self.norms.get(token.text)
            if norm is not None:
                token.norm_ = norm
        return doc


def group_patterns() -> list[dict]:
    """Entity-ruler patterns for named groups and hand-kept places."""
    patterns: list[dict] = []
    for org in lexicon.organisations():
        for alias in {org.canonical, *org.aliases}:
            patterns.append({"label": org.label, "pattern": alias, "id": org.canonical})
    for place in lexicon.places():
        for alias in {place.name, *place.aliases}:
            patterns.append({"label": "GPE" if place.precision != "admin1" or place.country else "LOC",
                             "pattern": alias, "id": place.name})
    return patterns


def country_patterns() -> list[dict]:
    """Entity-ruler patterns for country names, aliases and nationality words."""
    gazetteer = default_gazetteer()
    patterns: list[dict] = []
    for alias, iso3 in lexicon.country_aliases().items():
        patterns.append({"label": "GPE", "pattern": alias, "id": gazetteer.country_name(iso3)})
    import pycountry

    for country in pycountry.countries:
        name = getattr(country, "common_name", None) or country.name
        if "," not in name:
            patterns.append({"label": "GPE", "pattern": name, "id": gazetteer.country_name(country.alpha_3)})
    for word in lexicon.demonyms():
        patterns.append({"label": "NORP", "pattern": word})
    return patterns


def add_gazetteer_rulers(nlp: Language) -> None:
    """Add the two entity rulers around `ner`, fed from `pipeline/data/`."""
    groups = nlp.add_pipe("entity_ruler", name="wirewatch_groups", before="ner",
                          config={"overwrite_ents": True})
    groups.add_patterns(group_patterns())
    countries = nlp.add_pipe("entity_ruler", name="wirewatch_countries", after="ner",
                             config={"overwrite_ents": False})
    countries.add_patterns(country_patterns())


@Language.factory("wirewatch_places", assigns=["doc.ents"], requires=["doc.ents"])
def make_place_fixer(nlp: Language, name: str) -> PlaceFixer:
    return PlaceFixer()


class PlaceFixer:
    """Relabel people and organisations that are places named in a place context."""

    def __init__(self) -> None:
        self.gazetteer = default_gazetteer()

    def __call__(self, doc: Doc) -> Doc:
        countries = self.countries(doc)
        doc._.countries = countries
        ents = []
        changed = False
        for ent in doc.ents:
            if ent.label_ in ("PERSON", "ORG", "NORP") and not ent.ent_id_ and self._is_place(ent, countries):
                ent = Span(doc, ent.start, ent.end, label="GPE")
                changed = True
            ents.append(ent)
        if changed:
            doc.ents = ents
        return doc

    def countries(self, doc: Doc) -> tuple[str, ...]:
        """ISO3 codes of the countries and nationalities the document names."""
        found: dict[str, None] = {}
        demonyms = lexicon.demonyms()
        for ent in doc.ents:
            if ent.label_ == "GPE":
                code = self.gazetteer.country_code(ent.text)
                if code:
                    found[code] = None
                    continue
                loc = self.gazetteer.geocode(ent.text) if ent.ent_id_ else None
                if loc and loc.country:
                    found[loc.country] = None
            elif ent.label_ == "NORP" and demonyms.get(ent.text):
                found[demonyms[ent.text]] = None  # type: ignore[index]
        return tuple(found)

    def _is_place(self, ent: Span, countries: tuple[str, ...]) -> bool:
        if not ent.text[:1].isupper() or len(ent.text) < 3:
            return False
        if countries and self.gazetteer.is_city(ent.text, countries):
            return True
        if not self.gazetteer.is_city(ent.text):
            return False
        before = ent.doc[ent.start - 1] if ent.start > 0 else None
        if before is None:
            return False
        if before.lower_ in _PLACE_PREPOSITIONS:
            return True
        if before.lower_ == "of" and ent.start > 1 and ent.doc[ent.start - 2].lemma_.lower() in _PLACE_NOUNS:
            return True
        return False


@Language.factory("wirewatch_canonical", assigns=["span._.canonical"], requires=["doc.ents"])
def make_canonicaliser(nlp: Language, name: str) -> Canonicaliser:
    return Canonicaliser()


class Canonicaliser:
    """One document-level name per real-world thing.

    Mentions are joined when the gazetteer gives them one id ("IS", "Daesh"), when one
    glosses the other in brackets ("Hashed al-Shaabi (Popular Mobilisation)"), when one
    is the other's acronym ("APEC"), and when a person's shorter name is the end of a
    longer one ("Abdel Rahman" -> "Rami Abdel Rahman"). The name kept is the gazetteer id
    if any, else the longest mention.
    """

    def __init__(self) -> None:
        self.gazetteer = default_gazetteer()
        self.group_nouns = lexicon.group_nouns()

    def __call__(self, doc: Doc) -> Doc:
        ents = [e for e in doc.ents]
        parent = list(range(len(ents)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        def union(i: int, j: int) -> None:
            a, b = find(i), find(j)
            if a != b:
                parent[b] = a

        keys = [self._key(e) for e in ents]
        by_key: dict[tuple[str, str], int] = {}
        for i, key in enumerate(keys):
            if key[1] in by_key:
                union(by_key[key[1]], i)  # same gazetteer id, or same text
            else:
                by_key[key[1]] = i
        for i, ent in enumerate(ents):
            nxt = ents[i + 1] if i + 1 < len(ents) else None
            if (nxt is not None and ent.label_ in NAME_LABELS and nxt.label_ in NAME_LABELS
                    and nxt.start == ent.end + 1 and doc[ent.end].text == "("
                    and nxt.end < len(doc) and doc[nxt.end].text == ")"):
                union(i, i + 1)
        persons = [i for i, e in enumerate(ents) if e.label_ == "PERSON"]
        surnames = {ents[i][-1].text: i for i in persons if len(ents[i]) > 1}
        relabel: set[int] = set()
        for i, ent in enumerate(ents):  # "Dillon said" tagged ORG after "Ryan Dillon"
            if ent.label_ in ("ORG", "GPE") and len(ent) == 1 and not ent.ent_id_ and ent.text in surnames:
                union(surnames[ent.text], i)
                relabel.add(i)
        for i in persons:
            words = [t.text for t in ents[i] if not t.is_punct]
            longer = [j for j in persons if len(ents[j]) > len(ents[i])
                      and [t.text for t in ents[j] if not t.is_punct][-len(words):] == words]
            if len({keys[j][1] for j in longer}) == 1:
                union(longer[0], i)
        orgs = [i for i, e in enumerate(ents) if e.label_ in ("ORG", "NORP", "GPE")]
        for i in orgs:
            text = ents[i].text.replace(".", "")
            if text.isupper() and 2 <= len(text) <= 6:
                for j in orgs:
                    if j != i and _initials(ents[j]) == text:
                        union(j, i)
                        break
        if relabel:
            ents = [Span(doc, e.start, e.end, label="PERSON") if i in relabel else e for i, e in enumerate(ents)]
            doc.ents = ents
        groups: dict[int, list[int]] = {}
        for i in range(len(ents)):
            groups.setdefault(find(i), []).append(i)
        for members in groups.values():
            ids = [ents[i].ent_id_ for i in members if ents[i].ent_id_]
            name = ids[0] if ids else max((keys[i][0] for i in members), key=len)
            for i in members:
                ents[i]._.canonical = name
        self._resolve_group_nouns(doc, ents)
        return doc

    def _resolve_group_nouns(self, doc: Doc, ents: list[Span]) -> None:
        """ "the jihadists" becomes a mention of the one candidate group the document names;
        with two candidates named ("IS" and "Al-Qaeda") it stays unresolved."""
        named = {e._.canonical for e in ents if e.ent_id_}
        if not named:
            return
        for ent in ents:  # the model's own "jihadist" (NORP) mentions
            if not ent.ent_id_:
                resolved = self._one_group(_singular(canonical_text(ent.text).lower()), named)
                if resolved:
                    ent._.canonical = resolved
        added: list[tuple[Span, str]] = []
        for token in doc:
            if token.ent_type_ or token.pos_ != "NOUN" or token.i == 0 or doc[token.i - 1].lower_ != "the":
                continue
            if token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "of":
                continue  # "the group of villagers"
            resolved = self._one_group(token.lemma_.lower(), named)
            if resolved:
                added.append((Span(doc, token.i - 1, token.i + 1, label="ORG"), resolved))
        if added:
            doc.ents = sorted([*doc.ents, *(span for span, _ in added)], key=lambda e: e.start)
            for span, name in added:
                span._.canonical = name

    def _one_group(self, lemma: str, named: set[str]) -> str | None:
        candidates = self.group_nouns.get(lemma)
        present = named.intersection(candidates) if candidates else set()
        return present.pop() if len(present) == 1 else None

    def _key(self, ent: Span) -> tuple[str, str]:
        """(display name, merge key) of one mention."""
        if ent.ent_id_:
            return ent.ent_id_, "id:" + ent.ent_id_
        text = canonical_text(ent.text)
        if ent.label_ == "GPE":
            code = self.gazetteer.country_code(text)
            if code:
                name = self.gazetteer.country_name(code)
                return name, "id:" + name
        return text, f"{ent.label_ if ent.label_ not in NAME_LABELS else 'NAME'}:{fold(text)}"


def canonical_text(text: str) -> str:
    """A mention without a leading "the", a possessive or surrounding punctuation."""
    text = re.sub(r"[’']s?$", "", text.strip()).strip(" \"'“”,.;:()")
    return re.sub(r"^(the|The)\s+", "", text)


def _singular(word: str) -> str:
    """ "jihadists" -> "jihadist"; group nouns are listed by lemma."""
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _initials(ent: Span) -> str:
    words = [t.text for t in ent if t.text[:1].isupper()]
    return "".join(w[0] for w in words) if len(words) >= 2 else ""
