"""Actors: the phrase the parse attaches to a trigger, with its canonical name, sector and country.

An actor is read only from the trigger's own sentence. Its span is the named entity at
(or modifying) the head noun when there is one, else the head noun with its adjectives
and compounds ("Iraqi forces", "displaced people"). Quantity heads ("dozens of people")
give way to what they count; generic heads ("leaders of X", "members of X") to X.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, replace

from spacy.tokens import Doc, Span, Token

from pipeline.models import Actor
from pipeline.nlp import lexicon
from pipeline.nlp.entities import canonical_text
from pipeline.nlp.geo import Gazetteer

logger = logging.getLogger(__name__)

QUANTITY_WORDS = {"dozen", "dozens", "score", "scores", "hundred", "hundreds", "thousand", "thousands",
                  "number", "group", "handful", "some", "many", "most", "all", "several", "none", "batch", "patch"}
GENERIC_HEADS = {"leader", "member", "supporter", "part", "head", "spokesman", "official", "representative",
                 "unit", "fighter", "delegation", "wing", "deployment", "activist", "negotiator", "envoy",
                 "president", "minister", "government", "contingent"}
# the endings of nouns for people by role, and common words with them that are not people (nouns
# for people the lists hold are read before the endings are)
PEOPLE_SUFFIXES = ("er", "ist", "ian", "ant", "ee", "ent")
NOT_PEOPLE = frozenset("""
border number order power water center centre paper letter matter computer container tanker carrier helicopter
counter cluster chamber quarter shelter barrier trailer poster banner charter register river meter
plant restaurant warrant document parliament government movement agreement statement settlement department
incident element equipment apartment comment content event treatment payment investment development
management environment tournament amendment percent moment segment garment argument judgment judgement shipment
establishment punishment commitment requirement deployment assessment announcement arrangement instrument
employment enforcement entertainment achievement attachment committee guarantee jubilee
""".split())
OWNED_PLACES = {"headquarters", "office", "home", "house", "residence", "compound", "embassy", "consulate", "offices"}
ARMED_HEADS = {"rebel", "militant", "guerrilla", "insurgent", "force", "troop", "soldier", "militiaman", "loyalist"}
PLACE_HEADS = {"town", "city", "village", "capital", "province", "region", "district", "suburb", "outskirts", "nation",
               "country", "kingdom", "republic", "island"}
ORGANISATION_NOUNS = {"coalition", "party", "movement", "front", "alliance", "union", "organization",
                      "organisation", "group", "faction", "council", "committee", "league", "association", "mission"}
PRONOUNS = {"it", "they", "he", "she", "we", "i", "them", "him", "her", "its", "their", "who", "which", "that"}
# pronouns that stand for people: "he was charged", "they blasted the plan"
PEOPLE_PRONOUNS = frozenset({"i", "we", "he", "she", "they", "me", "us", "him", "her", "them"})
ACTOR_LABELS = {"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC"}
# acts whose doer, named by a nationality alone, is that state's military: "Russian air strikes"
MILITARY_ACTS = {"strike", "airstrike", "raid", "shelling", "bombardment", "offensive", "bombing", "attack",
                 "incursion", "invasion", "operation", "assault", "drone", "missile", "artillery", "shell"}
TITLE_SECTORS = {"president": "GOV", "minister": "GOV", "king": "GOV", "premier": "GOV", "chancellor": "GOV",
                 "secretary": "GOV", "general": "MIL", "colonel": "MIL", "commander": "MIL", "leader": "GOV",
                 "governor": "GOV", "ambassador": "GOV", "spokesman": "GOV", "judge": "JUD", "senator": "LEG"}


@dataclass(frozen=True, slots=True)
class ActorMention:
    """An actor found in a sentence: its span, for tracing and location exclusion."""

    actor: Actor
    span: Span


class ActorReader:
    """Turn parse tokens into `Actor`s; knows the gazetteers, not the parse rules."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.orgs = {o.canonical: o for o in lexicon.organisations()}
        self.demonyms = lexicon.demonyms()
        self.nouns = lexicon.actor_nouns()
        self.group_nouns = lexicon.group_nouns()

    def read(self, token: Token | None) -> ActorMention | None:
        """The actor a head token names, or None for pronouns, dates and numbers alone."""
        if token is None:
            return None
        token = self._content_head(token)
        if token is None or token.lower_ in PRONOUNS or token.pos_ == "PRON":
            return None
        doc = token.doc
        ent = _entity_at(token)
        phrase_start: int | None = None
        if ent is None:  # "the newspaper Le Monde": the name in apposition stands for the noun
            named = next((c for c in token.rights if c.dep_ in ("appos", "compound") and _entity_at(c) is not None
                          and _entity_at(c).label_ in ACTOR_LABELS), None)
            if named is not None:
                phrase = self._noun_phrase(token)
                phrase_start = phrase.start if phrase is not None else token.i
                token, ent = named, _entity_at(named)
        elif ent.label_ == "PERSON":  # "U.S. negotiator Paul Nitze": the title is part of the name's phrase
            titles = [c for c in ent.root.lefts if c.i < ent.start and c.dep_ in ("compound", "amod", "nmod")
                      or c.dep_ == "poss" and c.pos_ != "PRON"]
            if titles:
                phrase_start = min(c.left_edge.i for c in titles)
        if ent is not None and ent.label_ in ACTOR_LABELS:
            span = ent
        elif ent is not None:
            return None  # a date or number is not an actor
        else:
            span = self._noun_phrase(token)
        if span is None or not span.text.strip():
            return None
        actor = self._describe(span, token, doc)
        # "demonstrators in Baghdad", "a peace-keeping force in Liberia": who they are is where they
        # are (a minister in Tashkent is a visitor there, a tanker in the Gulf of Oman sails through)
        sector = self.nouns.get(token.lemma_.lower())
        place = self._own_place(token) if ent is None and span.end == token.i + 1 and (
            sector not in (None, "GOV", "JUD", "LEG") or sector is None and self.names_people(token)) else None
        if place is not None:
            country = actor.country or self.gazetteer.country_code(place.text) or (
                loc.country if (loc := self.gazetteer.geocode(place.text, doc._.countries or ())) else None)
            actor = replace(actor, text=doc[span.start: place.end].text, country=country)
        if phrase_start is not None and phrase_start < span.start:
            # The text keeps the whole phrase ("an Alewite temple, Cemevi"); the name stays canonical.
            # Participles ("Jordan's visiting King Abdullah II") describe the moment, not the actor.
            kept = [t for t in doc[phrase_start: span.end] if not (t.dep_ == "amod" and t.tag_ in ("VBG", "VBN"))]
            actor = replace(actor, text="".join(t.text_with_ws for t in kept).strip(" ,"))
        return ActorMention(actor, span)

    def is_actor(self, mention: ActorMention) -> bool:
        """True for people, groups, places and actor nouns; false for things ("weapons", "efforts")."""
        if mention.span.label_ in ACTOR_LABELS:
            return True
        root = mention.span.root
        lemma = root.lemma_.lower()
        return (lemma in self.nouns or lemma in self.group_nouns or root.pos_ == "PROPN"
                or mention.actor.country is not None or mention.actor.canonical in self.orgs
                # "the Commonwealth observer mission": a body named for whom it belongs to
                or lemma in ORGANISATION_NOUNS and any(t.ent_type_ in ("ORG", "NORP", "GPE") for t in mention.span))

    @staticmethod
    def names_people(token: Token) -> bool:
        """A common noun whose form names people by what they do ("defenders", "rustlers",
        "detainees", "combatants", "schoolteacher"), for nouns no list holds."""
        lemma = token.lemma_.lower()
        return token.pos_ == "NOUN" and len(lemma) > 5 and lemma.endswith(PEOPLE_SUFFIXES) \
            and lemma not in NOT_PEOPLE and not token.ent_type_

    def is_agent(self, mention: ActorMention) -> bool:
        """True for a named actor or a noun for people ("civilians", "troops"): a mention
        that can be done to, as opposed to a thing that merely belongs to someone."""
        if mention.span.label_ in ACTOR_LABELS:
            return True
        lemma = mention.span.root.lemma_.lower()
        return lemma in self.nouns or lemma in self.group_nouns or mention.actor.canonical in self.orgs \
            or self.names_people(mention.span.root)

    def _own_place(self, head: Token) -> Span | None:
        """The named place a generic noun is qualified by ("people in Hong Kong"), if any."""
        for child in head.rights:
            if child.dep_ == "prep" and child.lower_ == "in":
                pobj = next((g for g in child.children if g.dep_ == "pobj"), None)
                ent = _entity_at(pobj) if pobj is not None else None
                if ent is not None and ent.label_ in ("GPE", "LOC"):
                    return ent
        return None

    def _content_head(self, token: Token) -> Token | None:
        """Skip quantity and generic heads to what they count or belong to."""
        for _ in range(3):
            lower = token.lemma_.lower()
            of_objects = [g for c in token.children if c.dep_ == "prep" and c.lower_ == "of"
                          for g in c.children if g.dep_ == "pobj"]
            if (lower in QUANTITY_WORDS or token.like_num or token.pos_ == "NUM") and of_objects:
                token = of_objects[0]
                continue
            owners = of_objects + [g for c in token.children if c.dep_ == "prep" and c.lower_ in ("from", "for")
                                   for g in c.children if g.dep_ == "pobj"]
            if lower in PLACE_HEADS and of_objects and _entity_at(of_objects[0]) is not None \
                    and _entity_at(of_objects[0]).label_ in ("GPE", "LOC", "FAC"):
                token = of_objects[0]  # "the town of Cizre" is Cizre
                continue
            possessors = [c for c in token.children if c.dep_ == "poss" and c.pos_ != "PRON"]
            if lower in OWNED_PLACES and (of_objects or possessors) and _entity_at(token) is None:
                token = (of_objects or possessors)[0]  # "raided the headquarters of X", "the minister's residence"
                continue
            if lower in ARMED_HEADS and owners and _entity_at(token) is None and _entity_at(owners[0]) is not None \
                    and _entity_at(owners[0]).label_ in ("ORG", "PERSON", "NORP"):
                token = owners[0]  # "rebels of the Barisan Revolusi Nasional", "forces of Khalifa Haftar"
                continue
            if lower in GENERIC_HEADS and owners and _entity_at(token) is None and (
                    _entity_at(owners[0]) is not None or owners[0].lemma_.lower() in ORGANISATION_NOUNS
                    or self.nouns.get(owners[0].lemma_.lower()) in ("GOV", "MIL", "REB", "COP", "LEG", "JUD", "IGO")):
                token = owners[0]  # "activists from the Fatah Party", "leaders of the coalition"
                continue
            break
        if token.like_num and _entity_at(token) is None:
            return None
        return token

    def _noun_phrase(self, token: Token) -> Span | None:
        """Head noun with its left compounds/adjectives; an entity among them stands for it."""
        if token.pos_ not in ("NOUN", "PROPN", "ADJ"):
            return None
        left = [c for c in token.lefts if c.dep_ in ("compound", "amod", "nmod", "poss", "nummod", "npadvmod")]
        for child in reversed(left):
            ent = _entity_at(child)
            if ent is not None and ent.label_ in ("ORG", "PERSON") and token.lemma_.lower() in (
                    GENERIC_HEADS | {"group", "force", "militant", "jihadist", "rebel", "fighter", "bombing"}):
                return ent
        start = min([c.left_edge.i for c in left if c.dep_ != "poss"] + [token.i])
        while start < token.i and (token.doc[start].dep_ in ("det", "punct", "cc", "predet")
                                   or token.doc[start].pos_ == "NUM" or token.doc[start].like_num):
            start += 1
        return token.doc[start: token.i + 1]

    def _describe(self, span: Span, head: Token, doc: Doc) -> Actor:
        text = span.text
        canonical = span._.canonical if span._.canonical else canonical_text(text)
        sector: str | None = None
        country: str | None = None
        if span.label_ in ACTOR_LABELS and span.ent_id_ in self.orgs:
            org = self.orgs[span.ent_id_]
            sector, country = org.sector, org.country
        elif span.label_ == "GPE":
            code = self.gazetteer.country_code(span.text) or self.gazetteer.capital_country(span.text)
            if code:
                sector, country = "GOV", code
            else:
                loc = self.gazetteer.geocode(span.text, doc._.countries or ())
                country = loc.country if loc else None
                sector = "GOV" if loc else None
        elif span.label_ == "NORP":
            country = self.demonyms.get(span.text)
            sector = self._demonym_sector(span)
        elif span.label_ == "PERSON":
            sector = self._title_sector(span)
            country = self._modifier_country(span.root)
        else:
            lemma = head.lemma_.lower()
            resolved = self._group_canonical(lemma, doc)
            if resolved:
                canonical = resolved
                org = self.orgs.get(resolved)
                sector, country = (org.sector, org.country) if org else ("REB", None)
            else:
                sector = self.nouns.get(lemma) or self.nouns.get(lemma.rstrip("s"))  # "Rebels" as PROPN
                office = next((c for c in head.children
                               if c.dep_ == "compound" and c.lemma_.lower() in self.nouns), None)
                if lemma == "general" and office is not None:
                    sector = self.nouns[office.lemma_.lower()]  # "attorney general", "secretary general"
                country = self._modifier_country(head)
                for tok in span:
                    ent = _entity_at(tok)
                    if ent is not None and ent.ent_id_ in self.orgs and sector in (None, "REB", "MIL"):
                        org = self.orgs[ent.ent_id_]
                        canonical, sector, country = ent.ent_id_, org.sector or sector, org.country or country
                        break
                if sector is not None and country is None and head.pos_ != "PROPN":
                    canonical = canonical_text(text)
        return Actor(text=text, canonical=canonical, type=sector, country=country)

    def _demonym_sector(self, span: Span) -> str:
        """A nationality alone is its people ("Russians marched"); as the modifier of an act
        it stands for the state: "Russian air strikes" are the Russian military's, "Chinese
        criticism" the Chinese government's."""
        root = span.root
        if root.dep_ not in ("amod", "compound", "nmod") or root.head.lemma_.lower() in self.nouns:
            return "CVL"
        return "MIL" if root.head.lemma_.lower() in MILITARY_ACTS else "GOV"

    def _group_canonical(self, lemma: str, doc: Doc) -> str | None:
        """ "the jihadists" -> "Islamic State" when exactly one candidate group is named."""
        candidates = self.group_nouns.get(lemma)
        if not candidates:
            return None
        named = {e._.canonical for e in doc.ents if e._.canonical in candidates}
        return named.pop() if len(named) == 1 else None

    def _title_sector(self, span: Span) -> str | None:
        window = span.doc[max(span.start - 4, 0): span.end]
        for tok in window:
            sector = TITLE_SECTORS.get(tok.lower_)
            if sector:
                return sector
        return None

    def _modifier_country(self, head: Token) -> str | None:
        """Country named by a modifier: "Iraqi forces", "Syria's army", "U.S. negotiator"."""
        for child in list(head.lefts) + [c for c in head.children if c.dep_ == "prep"]:
            for tok in child.subtree:
                ent = _entity_at(tok)
                if ent is None:
                    continue
                if ent.label_ == "NORP" and self.demonyms.get(ent.text):
                    return self.demonyms[ent.text]
                if ent.label_ == "GPE":
                    code = self.gazetteer.country_code(ent.text)
                    if code:
                        return code
        window = head.doc[max(head.i - 6, head.sent.start): head.i]
        for tok in reversed(window):
            ent = _entity_at(tok)
            if ent is not None and ent.label_ == "NORP" and self.demonyms.get(ent.text):
                if all(t.dep_ in ("amod", "compound", "nmod", "cc", "conj", "det", "punct", "npadvmod")
                       for t in head.doc[tok.i: head.i]):
                    return self.demonyms[ent.text]
        return None


_ENTITIES_KEY = "wirewatch_entities"


def _document_entities(doc: Doc) -> tuple[list[int], list[Span], dict[int, Span]]:
    """The document's entities (their starts, the spans, and token -> entity), built once.

    `Doc.ents` builds new `Span`s on every access, and the reader asks for hundreds of
    tokens and every sentence per document; the reader runs after the pipeline, when the
    entities no longer change."""
    cached = doc.user_data.get(_ENTITIES_KEY)
    if cached is None:
        ents = list(doc.ents)
        cached = ([e.start for e in ents], ents, {i: ent for ent in ents for i in range(ent.start, ent.end)})
        doc.user_data[_ENTITIES_KEY] = cached
    return cached


def sentence_entities(sent: Span) -> list[Span]:
    """The named entities inside a sentence, as `Span.ents` gives them."""
    starts, ents, _ = _document_entities(sent.doc)
    out = []
    for ent in ents[bisect.bisect_left(starts, sent.start):]:
        if ent.start >= sent.end:
            break
        if ent.end <= sent.end:
            out.append(ent)
    return out


def _entity_at(token: Token) -> Span | None:
    """The named entity a token is part of, or None."""
    if token.ent_iob_ in ("", "O"):
        return None
    return _document_entities(token.doc)[2].get(token.i)