"""PLOVER events read sentence by sentence from a parsed `Doc`.

For each sentence: find trigger words (`pipeline/data/triggers.tsv`), keep the
strongest one per clause, adjust its type for negation and modality (a denied attack
is no ASSAULT, a threatened one is a THREATEN, a promised aid an AGREE), read actor1 and
actor2 from the trigger's own dependents (passives and "by" agents included), the date
from the sentence's own DATE entity, fatalities from numbers attached to death words and
the place from the sentence, else its paragraph, else the dateline. Nothing is taken
from an unrelated sentence. Mentions of the same event are then merged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import NamedTuple

import numpy as np
from spacy.tokens import Doc, Span, Token

from pipeline.dates import resolve_date
from pipeline.models import Actor, Event, Location
from pipeline.nlp import clauses, exclusions, lexicon
from pipeline.nlp.actors import PEOPLE_PRONOUNS, PLACE_HEADS, QUANTITY_WORDS, ActorMention, ActorReader, sentence_entities
from pipeline.nlp.geo import Gazetteer
from pipeline.nlp.clauses import (  # word sets the reader uses; parse helpers as clauses.<name>
    ADMIN_NOUNS,
    COOPERATIVE,
    DEMAND_SPEECH,
    EVENT_NOUNS,
    FUTURE_AUX,
    FATALITY_TYPES,
    GIVING_VERBS,
    HARM_VERBS,
    LOCATION_PREPS,
    NAMED_ACTORS,
    PARAGRAPHS_KEY,
    RECIPROCAL,
    SPEECH_VERBS,
    STATE_ACTIONS,
    STATIVE_PASSIVES,
    SUBHEADING,
    THREAT_GOVERNORS,
    VIOLENT,
)
from pipeline.nlp.event_model import (
    EventModel,
    TriggerCandidate,
    document_features,
    sentence_features,
    sentence_vector,
)
from pipeline.nlp.fatalities import DIE_VERBS, count_fatalities

logger = logging.getLogger(__name__)
INJURY_VERBS = frozenset({"wound", "injure", "maim"})
# a place name on these is where the act is: "Kaduna state", "a Hong Kong court", "the Gaza port"
PLACE_COMPOUND_HEADS = ADMIN_NOUNS | {"area", "city", "town", "village", "court", "prison", "port", "airport",
                                     "market", "hospital", "school", "university", "police"}
# what a military strike is made with, and its mode ("a drone strike", "missile strikes")
STRIKE_WEAPONS = {"air": "aerial", "drone": "aerial", "missile": "aerial", "rocket": "heavy-weapons",
                  "artillery": "heavy-weapons", "military": None, "retaliatory": None, "naval": None,
                  "precision": "aerial"}
# what a military strike does, as opposed to a walkout: "a strike flattened a building"
IMPACT_VERBS = frozenset(HARM_VERBS - {"claim"} | {"flatten", "level", "raze", "demolish", "slam"})
# prepositions that only ever place an event ("near Goma"); "in" places most, but PLOVER's
# gold reads "imposed a curfew in Sudan" as done to Sudan
NEAR_PREPS = frozenset({"near", "outside", "around", "inside", "across", "throughout", "outskirts"})
# what one calls someone or something to condemn it: "called the vote a sham"
LABELLING_VERBS = frozenset({"call", "brand", "label", "dub", "describe"})
DAMNING_LABELS = frozenset({
    "sham", "farce", "travesty", "disgrace", "shame", "scandal", "outrage", "betrayal", "insult", "fraud",
    "hoax", "lie", "failure", "fiasco", "mistake", "blunder", "indictment", "crime", "terrorist", "criminal",
    "liar", "dictator", "tyrant", "thug", "traitor", "puppet", "coward", "racist", "fascist", "murderer",
    "provocation", "aggression", "hypocrisy", "violation", "catastrophe", "disaster", "embarrassment",
    "slap", "joke", "charade", "hunt", "attack", "affront", "interference", "meddling", "blackmail", "propaganda"})
# a damning verdict on something, said of it: "said the response was unacceptable", "called the move reckless"
DAMNING_ADJECTIVES = frozenset({
    "unacceptable", "outrageous", "disgraceful", "shameful", "appalling", "irresponsible", "reckless", "illegal",
    "unlawful", "illegitimate", "scandalous", "deplorable", "despicable", "abhorrent", "reprehensible", "unjust",
    "absurd", "ridiculous", "cynical", "hypocritical", "cowardly", "barbaric", "inhumane", "heinous",
    "unconstitutional", "undemocratic", "baseless", "misleading", "provocative", "insulting", "incompetent",
    "negligent", "corrupt", "shocking", "unjustified", "unwarranted", "irrational", "dishonest", "disappointing"})
RESPONSE_VERBS = frozenset({"respond", "retaliate", "react", "act", "strike", "hit", "punish", "answer"})
VERDICT_VERBS = frozenset({"say", "call", "describe", "tell", "add", "declare", "insist", "brand", "label"})
# weapons that can be the subject of an attack verb ("missiles targeted ..."); craft and forces
# ("warplanes", "drones", "tanks") are the actor nouns of MIL or REB sectors
WEAPONS = frozenset({"plane", "missile", "rocket", "warship", "airstrike", "strike", "shelling"})
# what one seeks for oneself, asking nobody: "seek medical attention", "sought cover" (refuge
# and sanctuary are asked of a host: PLOVER codes them DEMAND)
SOUGHT_FOR_ONESELF = frozenset({"attention", "treatment", "care", "shelter", "cover", "safety"})
# triggers only as verbs ("moved units closer", not "a contact"; "objected", not "an object")
VERB_ONLY = frozenset({"phone", "close", "seal", "contact", "plead", "fault", "mock", "object", "bust", "lament",
                       "question", "fine", "quiz"})
BATTLE_WORDS = frozenset({"battle", "gunbattle", "clash", "firefight", "fighting", "shootout", "offensive"})
_DATELINE_KEY = "wirewatch_dateline_location"
# the confidence of a sentence's second event, of the gate's probability for the sentence
SECOND_EVENT_DISCOUNT = 0.9
TIME_LIMITS = frozenset({"hour", "day", "week", "month"})
# what one is given ("won the backing of Unison", "received aid from Japan") comes from the "of"
RECEIVING_VERBS = frozenset({"win", "receive", "get", "secure", "gain", "earn", "obtain", "accept"})
# acts whose noun's "of" names who they are done to ("the abduction of 30 students")
PATIENT_OF_TYPES = frozenset({"ASSAULT", "COERCE", "SANCTION", "RETREAT"})
TIME_MARKS = frozenset({"after", "before", "when"})  # a clause that dates another, told as done
# what an ultimatum demands: "gave the rebels 48 hours to lay down their arms"
COMPLIANCE_VERBS = frozenset("surrender disarm withdraw comply release vacate resign evacuate disperse lay hand end "
                             "stop return free pull quit cease leave".split())
CURRENCIES = frozenset("euro dollar pound yuan rouble ruble crown franc rand shilling rupee peso naira yen won".split())
# verbs of hitting hard that people use of words: "blasted the plan", "hammered Bevin"
HARSH_WORDS = frozenset({"blast", "hammer", "trash", "skewer", "pillory", "lambaste"})
ARMED = frozenset({"ASSAULT", "FIGHT"})  # one attack told twice: "flattened homes, killing 90"
# material help by what is moved: "trucked 1,300 tonnes of sorghum into the state", "handed over
# 5,000 tonnes of rice"; people handed over are released ("fishermen were handed over to the coast guard")
TRANSFER_VERBS = frozenset({"hand", "truck", "fly", "ship", "airlift", "deliver", "send", "transport", "ferry",
                            "airdrop"})
RELIEF_NOUNS = frozenset({"aid", "assistance", "relief", "food", "supply", "medicine", "vaccine", "tent", "blanket",
                          "rice", "wheat", "grain", "flour", "sorghum", "lentil", "ration", "kit", "equipment",
                          "ammunition", "vehicle", "carrier", "tonne", "ton", "shipment", "consignment"})
# what an attack, a seizure or a riot is done to when no one is named: "tore through a military
# checkpoint", "seized an oil tanker", "set fire to a police post"
FACILITY_NOUNS = frozenset("station post checkpoint base camp barracks outpost garrison church mosque synagogue temple "
                           "school hospital clinic embassy consulate office headquarters prison jail tanker ship vessel "
                           "boat ferry convoy aircraft plane helicopter facility depot position installation".split())
# the means of an attack, never its target: "struck energy facilities with drones and missiles"
INSTRUMENTS = frozenset(WEAPONS | set(STRIKE_WEAPONS) | {"drone", "artillery", "mortar", "gun", "rifle", "knife"})
FACILITY_TARGET_TYPES = frozenset({"ASSAULT", "FIGHT", "COERCE", "PROTEST"})


@dataclass(frozen=True, slots=True)
class _Candidate:
    token: Token
    type: str
    mode: str | None
    priority: int
    depth: int
    background: int = 0
    phrasal: bool = False  # matched with its companion words ("give welcome", "lift blockade")

    @property
    def rank(self) -> tuple[float, int, int]:
        """Sort key: strong triggers first, but a trigger in a background clause
        ("after days of fighting", "unless the president agrees") loses to the main clause's."""
        return (-(self.priority - 2 * self.background), self.depth, self.token.i)


class SentenceReading(NamedTuple):
    """One sentence as the reader sees it: its trigger candidates (best first), the rules'
    events, the triggers the codebook rules out (`exclusions.REASONS`, one a trigger), and
    the model's features and vector."""

    sent: Span
    candidates: list[_Candidate]
    rule_events: list[Event]
    excluded: list[str]
    features: list[str]
    vector: np.ndarray | None


class EventReader:
    """Reads events from parsed documents; built once with the gazetteer and word lists."""

    def __init__(self, gazetteer: Gazetteer, model: EventModel | None = None, *, vectors: bool | None = None) -> None:
        self.gazetteer = gazetteer
        self.model = model
        # the sentence vectors cost a little per sentence: computed only for a model that reads them
        self.vectors = vectors if vectors is not None else model is not None and model.dense is not None
        self.actors = ActorReader(gazetteer)
        self.triggers = lexicon.triggers()
        self.mode_cues = lexicon.mode_cues()
        self.protest_nouns = {lemma for lemma, options in self.triggers.items()
                              if any(t.type == "PROTEST" and not t.companions for t in options)}

    # -- document level -------------------------------------------------------------
    def read(self, doc: Doc, published: date | None, dateline: str | None) -> tuple[Event, ...]:
        """All events of a document, same-event mentions merged, in text order.

        The rules read each sentence's events; with a model, a sentence keeps them when the
        model judges that an event is reported (probability at or above its threshold;
        `confidence` is that probability calibrated to how often such events are right).
        Where the rules read nothing, nothing is emitted: cross-validated, the model's own
        type there was almost never right. A sentence whose triggers the codebook rules out
        ("killed in a crane collapse") has no rule events, so yields nothing either way."""
        events: list[Event] = []
        for sent, _candidates, rule_events, _excluded, features, vector in self.sentences(doc, published, dateline):
            if self.model is None:
                events.extend(rule_events)
                continue
            if not rule_events:
                continue
            reported, _ranked = self.model.judge(features, vector)
            if reported < self.model.threshold:
                continue
            first = rule_events[0]
            events.append(replace(first, confidence=round(self.model.confidence(reported), 3)))
            # "condemned the attack and called for calm": a second act of another type in a
            # coordinated clause is an event of its own, held a little less sure than the first
            second = next((e for e in rule_events[1:] if e.type != first.type), None)
            held = reported * SECOND_EVENT_DISCOUNT
            if second is not None and held >= self.model.threshold:
                events.append(replace(second, confidence=round(self.model.confidence(held), 3)))
        return merge_events(events)

    def sentences(self, doc: Doc, published: date | None, dateline: str | None) -> Iterator[SentenceReading]:
        """Each sentence as the rules read it, with the model's features and vector."""
        countries = tuple(doc._.countries or ())
        dateline_loc = self.gazetteer.geocode(dateline, countries) if dateline else None
        doc.user_data[_DATELINE_KEY] = dateline_loc
        sents = list(doc.sents)
        doc.user_data[PARAGRAPHS_KEY] = clauses.paragraphs(sents)
        read = []
        for sent in sents:
            if is_subheading(sent.text):
                continue
            candidates, excluded = self._candidates(sent)
            read.append((sent, candidates, excluded,
                         self._rule_events(sent, candidates, published, dateline_loc, countries)))
        context = document_features(doc, [rules for *_, rules in read], dateline_loc is not None)
        for index, (sent, candidates, excluded, rule_events) in enumerate(read):
            triggers = [_as_trigger(c) for c in candidates]
            features = sentence_features(sent, triggers, rule_events, index) + context
            features += [f"excluded:{reason}" for reason in sorted(set(excluded))]
            yield SentenceReading(sent, candidates, rule_events, excluded, features,
                                  sentence_vector(sent, triggers) if self.vectors else None)

    def read_sentence(self, sent: Span, published: date | None, dateline_loc: Location | None,
                      countries: tuple[str, ...] = ()) -> list[Event]:
        """The events the rules read in one sentence (no model)."""
        return self._rule_events(sent, self._candidates(sent)[0], published, dateline_loc, countries)

    def _candidates(self, sent: Span) -> tuple[list[_Candidate], list[str]]:
        """The sentence's trigger candidates, best first, and why the codebook rules out the others."""
        candidates, excluded = [], []
        cues: exclusions.SentenceCues | None = None
        for cand in (self._candidate(t) for t in sent):
            if cand is None:
                continue
            cues = cues or exclusions.SentenceCues.of(sent)
            reason = exclusions.excluded(cand.token, cand.type, cues)
            if reason is None:
                candidates.append(cand)
            else:
                excluded.append(reason)
        demands = [c.token for c in candidates if c.type == "DEMAND" and c.token.pos_ == "VERB"]
        if demands:
            # "asked that the congressman refrain from endorsing anyone": what is asked for has not happened
            candidates = [replace(c, background=max(c.background, 1))
                          if c.type != "DEMAND" and any(_asked_for(d, c.token) for d in demands) else c
                          for c in candidates]
        candidates.sort(key=lambda c: c.rank)
        return candidates, excluded

    def _rule_events(self, sent: Span, candidates: list[_Candidate], published: date | None,
                     dateline_loc: Location | None, countries: tuple[str, ...]) -> list[Event]:
        """The events the rules state: the strongest trigger, plus other coordinated clauses."""
        if not candidates:
            return []
        candidates = _act_first(list(candidates))
        chosen = [candidates[0]]
        for cand in candidates[1:]:
            # "expressed concern ... and called on the government": a phrasal noun trigger is its verb's act
            verb = cand.token.head if cand.phrasal and cand.token.pos_ == "NOUN" and cand.token.dep_ == "dobj" \
                else cand.token
            if (cand.priority >= 3 and not cand.background and cand.type not in {c.type for c in chosen}
                    and verb.pos_ == "VERB" and verb.dep_ in ("conj", "ROOT")
                    and (clauses.coordinated_head(verb).i == chosen[0].token.i
                         or not clauses.dominates(chosen[0].token, verb, through_conj=False))
                    and not clauses.dominates(verb, chosen[0].token, through_conj=False)):
                # a verb over the first trigger ("a drone strike killed two commanders") tells the same act
                chosen.append(cand)
            elif len(chosen) == 1 and _second_act(cand, chosen[0]):
                chosen.append(replace(cand, background=0))
        events = []
        for rank, cand in enumerate(chosen):
            event = self._event(sent, cand, published, dateline_loc, countries, secondary=rank > 0)
            if event is not None:
                events.append(event)
        if not events and chosen[0].type == "THREATEN" and (
                chosen[0].token.pos_ == "NOUN" or chosen[0].token.dep_ in ("acl", "amod", "compound")):
            # the strongest trigger, a warning word modifying a noun, warns of nothing ("missile
            # warning data"): the next one is read (a trigger dropped as a forecast or denial is not)
            for cand in candidates[1:]:
                if cand not in chosen and not cand.background and (
                        event := self._event(sent, cand, published, dateline_loc, countries, secondary=False)) is not None:
                    return [event]
        return events

    # -- triggers -------------------------------------------------------------------
    def _candidate(self, token: Token) -> _Candidate | None:
        lemma = token.lemma_.lower()
        if lemma in DEMAND_SPEECH and token.pos_ == "VERB" and clauses.obligation_clause(token) is not None:
            # "Russia said that Sudan must return the helicopter": a demand on Sudan.
            # "staged rallies against X, saying he must resign": the participle explains the main act
            aside = int(token.dep_ == "advcl" and token.tag_ == "VBG")
            return _Candidate(token, "DEMAND", None, 5, clauses.depth_of(token), aside)
        if lemma == "accord" and any(c.lower_ == "to" for c in token.children):
            return None  # "according to officials" attributes, it agrees to nothing
        if lemma == "seek" and any(c.dep_ == "dobj" and c.lemma_.lower() in SOUGHT_FOR_ONESELF for c in token.children):
            return None  # "had to seek medical attention", "sought cover": asks nobody for anything
        if lemma in TRANSFER_VERBS and token.pos_ == "VERB" and (moved := self._moved(token)) is not None:
            etype = "AID" if moved.lemma_.lower() in RELIEF_NOUNS else "RETREAT" if lemma == "hand" and (
                self.actors.nouns.get(moved.lemma_.lower()) == "CVL" or self.actors.names_people(moved)) else None
            if etype is not None:
                return _Candidate(token, etype, "release" if etype == "RETREAT" else None, 4, clauses.depth_of(token),
                                  clauses.background_level(token))
        if lemma == "charge" and token.pos_ == "VERB" and self._charged_person(token):
            # "he was charged on Friday", "prosecutors charged two executives": a charge laid
            # (a phone is charged, and so is a fee)
            return _Candidate(token, "COERCE", None, 4, clauses.depth_of(token), clauses.background_level(token))
        if lemma == "give" and token.pos_ == "VERB" and (deadline := _deadline(token)) is not None \
                and deadline.lemma_.lower() in COMPLIANCE_VERBS:
            # "gave gang leaders 72 hours to surrender their weapons": an ultimatum; "gave the
            # diplomat 72 hours to leave the country": an expulsion
            etype = "SANCTION" if deadline.lemma_.lower() == "leave" else "THREATEN"
            return _Candidate(token, etype, None, 5, clauses.depth_of(token), clauses.background_level(token))
        if lemma in SPEECH_VERBS and token.pos_ == "VERB" and self._conditional_vow(token):
            # "said it would raise tariffs if no deal is reached": a threat, made by saying it
            return _Candidate(token, "THREATEN", None, 4, clauses.depth_of(token), clauses.background_level(token))
        if lemma in VERDICT_VERBS and token.pos_ == "VERB" and (
                lemma in LABELLING_VERBS and _damning_label(token) or _damning_verdict(token)):
            # "called the election a sham", "branded Omar a terrorist": a verbal attack
            return _Candidate(token, "DISAPPROVE", None, 4, clauses.depth_of(token), clauses.background_level(token))
        options = self.triggers.get(lemma) or self.triggers.get(token.lower_)
        if not options or token.pos_ not in ("VERB", "NOUN", "ADJ", "PROPN"):
            return None
        if lemma == "accuse" and (token.pos_ in ("NOUN", "ADJ") or any(c.dep_ == "det" for c in token.children)):
            return None  # "the accused": the defendant, nobody's accusation
        if lemma in VERB_ONLY and token.pos_ != "VERB" and not (lemma == "question" and token.head.lemma_.lower() == "raise"):
            return None  # "moved units closer to the border", "a contact"; but "raised questions about"
        if token.ent_type_ and token.ent_type_ not in ("EVENT",):
            return None
        if token.dep_ == "amod" or (token.i > 0 and token.nbor(-1).text in ("-", "–")):
            return None  # "US-backed fighters", "anti-IS fight"
        if token.dep_ == "compound" and token.head.lemma_.lower() in self.actors.nouns:
            return None  # "riot police", "protest leaders" name people, not events
        # "called the decision a provocation on Tuesday": a date's preposition is no companion
        neighbours = {c.lemma_.lower() for c in token.children if not (
            c.dep_ == "prep" and any(g.dep_ == "pobj" and g.ent_type_ in ("DATE", "TIME") for g in c.children))}
        neighbours |= {token.head.lemma_.lower()}
        # "called on Monday for the president to resign": the "for" of the clause asked for
        neighbours |= {g.lower_ for c in token.children if c.dep_ == "advcl" for g in c.children
                       if g.dep_ == "mark" and g.lower_ == "for"}
        neighbours |= {g.lemma_.lower() for c in token.children if c.dep_ in ("prep", "dobj", "compound") for g in c.children}
        # "held Fahie at a Miami airport on drug charges": charges anywhere in the verb's phrase
        # (the phrase is read only for a trigger that needs them)
        if token.pos_ == "VERB" and any("charge" in t.companions for t in options) and any(
                t.lemma_.lower() == "charge" and t.dep_ == "pobj" and t.head.lower_ == "on" for t in token.subtree):
            neighbours.add("charge")
        # what the object (or the passive subject) is a part of or a way to: "blocked stretches of
        # the highway", "access to the funds was frozen", "suspended 210 million crowns in budget
        # support"; a sum of money is funds ("froze 6.3 billion euros")
        neighbours |= {"fund" if g.ent_type_ == "MONEY" or g.lemma_.lower() in CURRENCIES else g.lemma_.lower()
                       for c in token.children if c.dep_ in ("dobj", "nsubjpass")
                       for g in [c, *(g for p in c.children if p.dep_ == "prep" and p.lower_ in ("of", "to", "in")
                                      for g in p.children if g.dep_ == "pobj")]}
        # "sent thousands of troops": what a counted object counts
        neighbours |= {g.lemma_.lower() for c in token.children if c.dep_ == "dobj" and (c.like_num or c.lower_ in QUANTITY_WORDS)
                       for p in c.children if p.dep_ == "prep" and p.lower_ == "of" for g in p.children if g.dep_ == "pobj"}
        for trig in options:
            if all(word in neighbours for word in trig.companions):
                break
        else:
            return None
        etype, mode, priority = trig.type, trig.mode, trig.priority
        weapon = next((c.lemma_.lower() for c in token.children if c.dep_ in ("compound", "amod", "nmod")
                       and c.lemma_.lower() in STRIKE_WEAPONS), None) if lemma == "strike" else None
        if not trig.companions and weapon is not None:
            if token.pos_ != "NOUN":
                return None
            # "a drone strike", "missile strikes on Hamas installations", "artillery strikes"
            etype, mode, priority = "FIGHT", STRIKE_WEAPONS[weapon], 4
        if not trig.companions and weapon is None and lemma == "strike" and token.pos_ == "NOUN" \
                and token.dep_ == "nsubj" and token.head.lemma_.lower() in IMPACT_VERBS:
            etype, mode, priority = "FIGHT", None, 4  # "another strike hit a car", "a strike flattened a building"
        if not trig.companions and lemma == "strike" and token.pos_ == "VERB" and any(
                c.dep_ == "dobj" and not c.ent_type_ == "MONEY"
                or c.dep_ == "nsubj" and self.actors.nouns.get(c.lemma_.lower()) in ("MIL", "REB") for c in token.children):
            # "rebels struck the army base", "warplanes struck ...": the walkout "strike" takes no object
            etype, mode, priority = "ASSAULT", None, 3
        elif lemma == "target":
            # "F-16 fighters targeted security compounds": only armed forces and their weapons
            # target in the codebook's sense ("the campaign targets young voters" does not)
            subject = clauses.first_child(list(token.children), "nsubj") or clauses.passive_agent(token)
            if token.pos_ != "VERB" or subject is None or not (
                    self.actors.nouns.get(subject.lemma_.lower()) in ("MIL", "REB")
                    or subject.lemma_.lower() in WEAPONS):
                return None
        elif trig.companions == ("under",) and lemma == "fire":
            # "the utility came under fire from unions": criticism by the unions, unless arms are at hand
            # ("a patrol came under fire from gunmen"); with nobody named as the critic, "the campaign
            # came under fire" is the codebook's metaphor
            critic, criticised = _under_fire(token)
            if critic is None or any(
                    t is not None and (self.actors.nouns.get(t.lemma_.lower()) in ("MIL", "REB", "COP")
                                       or t.lemma_.lower() in FACILITY_NOUNS | {"patrol", "convoy", "vehicle"})
                    for t in (critic, criticised)):
                return None
        elif lemma == "ship" and etype == "SANCTION":
            # "shipped the migrants back": people expelled; a company shipping a phone expels nobody
            mention = self.actors.read(self._moved(token))
            if mention is None or not self.actors.is_agent(mention):
                return None
        elif lemma == "question" and token.pos_ == "VERB":
            # "police questioned the suspect" investigates; "senators questioned the agency's approach"
            # disapproves of it
            asked = clauses.first_child(list(token.children), "dobj")
            mention = self.actors.read(asked) if asked is not None else None
            if asked is not None and (mention is None or not self.actors.is_agent(mention)):
                etype, mode = "DISAPPROVE", None
        elif lemma in HARSH_WORDS and not trig.companions:
            # "Democrats blasted him", "hammered Bevin on health care": people hitting hard with
            # words; a bomb blasts, and militants blast a checkpoint (the others are words only)
            if self._harsh_words(token):
                etype, mode, priority = "DISAPPROVE", None, 4
            elif lemma != "blast":
                return None
        elif not trig.companions and lemma == "seize" and any(c.dep_ == "dobj" and _place(c) for c in token.children):
            # "rebels seized the town": territory taken in a fight, not property confiscated
            etype, mode = "FIGHT", "occupy"
        background = clauses.background_level(token)
        if etype != "PROTEST" and token.dep_ == "advcl" and token.tag_ == "VBG" and self._protest_act(token.head):
            background = 1  # "thousands marched in Belgrade, demanding his resignation": the march is the act
        elif token.dep_ == "acl" and token.tag_ == "VBN" or (
                token.dep_ == "compound" and token.head.pos_ == "NOUN"):
            background = 1  # "officers accused of ...", "hostages held in Gaza", "an attack site"
        return _Candidate(token, etype, mode, priority, clauses.depth_of(token), background, bool(trig.companions))

    def _harsh_words(self, verb: Token) -> bool:
        """Whether a verb of hitting hard is said of people speaking: its subject is a person,
        a name or a body other than armed forces or police, not a storm or a weapon, and it
        hits with nothing ("Israel hammered Gaza with air strikes" is no criticism)."""
        subject = clauses.first_child(list(verb.children), "nsubj")
        if verb.pos_ != "VERB" or subject is None or self.actors.nouns.get(subject.lemma_.lower()) in ("MIL", "REB", "COP"):
            return False
        if any(t.lemma_.lower() in exclusions.ACCIDENT_CAUSES | WEAPONS for t in subject.subtree) \
                or any(c.dep_ == "prep" and c.lower_ == "with" for c in verb.children):
            return False
        mention = self.actors.read(subject)
        return (subject.lower_ in PEOPLE_PRONOUNS or subject.pos_ == "PROPN"
                or any(t.ent_type_ in ("PERSON", "ORG", "NORP") for t in subject.subtree)
                or mention is not None and self.actors.is_agent(mention))

    def _charged_person(self, charge: Token) -> bool:
        """Whether "charge" is laid on a person or a group (its passive subject or object)."""
        charged = clauses.first_child(list(charge.children), "nsubjpass") or clauses.first_child(list(charge.children), "dobj")
        if charged is None:
            return False
        if charged.lower_ in PEOPLE_PRONOUNS:
            return True
        mention = self.actors.read(charged)
        return mention is not None and self.actors.is_agent(mention)

    def _own_threat(self, warn: Token) -> bool:
        """ "The militia warned that it could attack": a warning of the warner's own violence."""
        for clause in (c for c in warn.children if c.dep_ == "ccomp"):
            subject = clauses.first_child(list(clause.children), "nsubj")
            violent = any(t.type in VIOLENT for t in self.triggers.get(clause.lemma_.lower(), ()))
            if violent and subject is not None and subject.lower_ in ("it", "they", "we", "i"):
                return True
        return self._conditional_vow(warn)

    def _conditional_vow(self, verb: Token) -> bool:
        """What the speaker says will be done if the other side does not comply: "said it would
        bring a motion of no confidence if Ramaphosa did not act", "warned that the armed forces
        would respond if Guyana drilled". The condition is unmet or unwelcome: negated, an
        "unless", or the answer a hostile act or a response."""
        for clause in (c for c in verb.children if c.dep_ == "ccomp"):
            if not any(c.dep_ == "aux" and c.lower_ in FUTURE_AUX for c in clause.children) or clauses.negated(clause):
                continue
            for cond in (c for c in clause.children if c.dep_ == "advcl"):
                mark = next((m.lower_ for m in cond.children if m.dep_ == "mark"), None)
                if mark not in ("if", "unless"):
                    continue
                hostile = any(t.type in VIOLENT for t in self.triggers.get(clause.lemma_.lower(), ())) \
                    or clause.lemma_.lower() in RESPONSE_VERBS
                if mark == "unless" or clauses.negated(cond) or hostile:
                    return True
        return False

    def _protest_act(self, verb: Token) -> bool:
        """A verb that reports a protest: "marched", "rallied", or "began a strike"."""
        words = {verb.lemma_.lower()} | {c.lemma_.lower() for c in verb.children if c.dep_ in ("dobj", "nsubj")}
        return bool(words & self.protest_nouns)

    def _event(self, sent: Span, cand: _Candidate, published: date | None,
               dateline_loc: Location | None, countries: tuple[str, ...], *, secondary: bool) -> Event | None:
        token = cand.token
        etype, mode = cand.type, cand.mode
        if cand.type == "THREATEN" and token.lemma_.lower() == "warn" and not any(
                c.dep_ in ("xcomp", "dobj") for c in token.children) and not self._own_threat(token):
            return None  # "analysts warn that ..." reports a view, it threatens nobody
        negated = clauses.negated(token)
        if negated:
            if etype in ("AGREE", "SUPPORT", "CONCEDE", "COOPERATE", "CONSULT", "AID", "RETREAT"):
                etype, mode = "REJECT", None
            elif etype != "REJECT":
                return None  # a denied or failed attack is not an event of that type
        governor = clauses.governor(token)
        if governor is not None and etype != "THREATEN":
            glemma = governor.lemma_.lower()
            if glemma in THREAT_GOVERNORS:
                etype, mode = "THREATEN", clauses.threat_mode(etype, mode)
            elif glemma in ("refuse", "deny", "reject") and etype != "REJECT":
                etype, mode = "REJECT", None
        elif (clauses.future(token) or (token.pos_ == "NOUN" and token.dep_ == "dobj" and clauses.future(token.head))) \
                and etype != "THREATEN":
            if etype in VIOLENT and clauses.forecast(token):
                return None  # '"they will attempt to conduct attacks," the spokesman said': a forecast
            if etype == "PROTEST" and not negated and token.lemma_.lower() != "boycott":
                # "unions will stage a strike next Wednesday": a plan, not yet a protest ("will
                # boycott the elections" withholds something: PLOVER's THREATEN)
                return None
            if etype in VIOLENT and (etype != "REJECT" or not negated):
                # "will veto the resolution", "must and will deny IS safe haven": a vow, not yet a refusal
                etype, mode = "THREATEN", clauses.threat_mode(etype, mode)
            elif etype in COOPERATIVE and clauses.condition(token) is not None:
                etype, mode = "THREATEN", None  # "will withdraw its force unless ...": a threat
            elif etype in COOPERATIVE and etype != "AGREE":
                etype, mode = "AGREE", None
        mode = self._mode(sent, etype, mode)

        actor1, actor2 = self._actors(token, etype, cand.type)
        obligation = clauses.obligation_clause(token) if cand.type == "DEMAND" and token.lemma_.lower() in DEMAND_SPEECH else None
        if obligation is not None:  # "Russia said Sudan must return ...": the demand is on Sudan
            obliged = self.actors.read(clauses.first_child(list(obligation.children), "nsubj"))
            if obliged is not None and self.actors.is_actor(obliged):
                actor2 = obliged
        speaker = self.actors.read(clauses.attribution(token))
        said = etype == "THREATEN" and token.lemma_.lower() in SPEECH_VERBS | THREAT_GOVERNORS
        if said and actor2 is not None and any(t.dep_ == "ccomp" and actor2.span.root in t.children for t in token.children):
            actor2 = None  # "warned that the armed forces would respond": the warner's own side
        if etype == "THREATEN" and (actor2 is None or not self.actors.is_agent(actor2)):
            condition = clauses.condition(token) or clauses.condition(governor)
            subject = clauses.first_child(list(condition.children), "nsubj") if condition is not None else None
            threatened = self.actors.read(subject)
            if threatened is not None and self.actors.is_agent(threatened):
                actor2 = threatened  # "threatened to stop talks if the United States goes ahead"
        victims = self._killed(token) if etype == "FIGHT" and cand.type == "FIGHT" else None
        if victims is not None and victims.actor.type == "CVL" \
                and actor1 is not None and actor1.actor.type in ("REB", "CVL", "OPP") \
                and mode not in ("heavy-weapons", "aerial") \
                and (actor2 is None or not self.actors.is_agent(actor2) or actor2.actor.type == "CVL"
                     or actor2.span.label_ in ("GPE", "LOC", "FAC")):
            # "gunmen stormed the neighbourhood, killing nine people": one-sided violence on its victims
            # (shelling and air strikes stay FIGHT, as PLOVER codes them)
            etype, actor2 = "ASSAULT", actor2 if actor2 is not None and actor2.actor.type == "CVL" else victims
        elif etype == "FIGHT" and actor2 is not None and actor2.actor.type == "CVL" and cand.type == "FIGHT" \
                and not _modifier_only(actor2):
            etype = "ASSAULT"
        elif etype == "ASSAULT" and actor1 is not None and actor1.actor.type == "MIL" \
                and mode in (None, "aerial", "firearms") and actor1.actor.canonical not in self.actors.orgs \
                and not (mode != "aerial" and actor2 is not None and actor2.actor.type in ("CVL", "OPP")
                         and not _modifier_only(actor2) and not any(t.lemma_.lower() in BATTLE_WORDS for t in sent)):
            # state forces' armed attacks are PLOVER's conventional FIGHT; shots at civilians or
            # protesters ("a sniper shot two protesters") stay one-sided violence, unless from the
            # air or in a battle the sentence names
            etype = "FIGHT"
        elif etype == "COERCE" and cand.token.lemma_.lower() == "raid" and actor1 is not None \
                and actor1.actor.type == "REB":
            etype = "ASSAULT"  # a police raid coerces; a raid by rebels on a church is an attack
        elif etype == "ASSAULT" and cand.token.lemma_.lower() == "attack" and actor2 is not None \
                and actor2.actor.type in ("MIL", "REB"):
            etype = "FIGHT"

        protest = next((c for c in token.children if c.dep_ == "dobj" and c.lemma_.lower() in self.protest_nouns), None)
        if etype in ("FIGHT", "ASSAULT") and protest is not None:
            # "police stormed a demonstration": repression of a protest, done to its protesters
            etype, mode = "COERCE", None
            protesters = self.actors.read(clauses.passive_agent(protest)) or next(
                (m for m in (self.actors.read(t) for t in sent
                             if self.actors.nouns.get(t.lemma_.lower()) in ("OPP", "CVL") and t.pos_ == "NOUN")
                 if m is not None), None)
            actor2 = protesters or actor2
        location, loc_source = self._location(sent, token, actor1, actor2, dateline_loc, countries)
        if (actor1 is None and etype in STATE_ACTIONS and loc_source == "sentence" and location is not None
                and location.country and any(c.dep_ in ("nsubjpass", "auxpass") for c in _passive_verb(token).children)):
            # "was arrested in Lebanon": arrests and inquiries with no named agent are the state's.
            state = Actor(text=location.text, canonical=self.gazetteer.country_name(location.country) or location.text,
                          type="GOV", country=location.country)
            actor1 = ActorMention(state, sent[:0])
        date_value, date_text, precision, date_source = self._date(sent, token, published)
        fatalities = count_fatalities(sent) if etype in FATALITY_TYPES else None
        confidence = 0.45 + 0.05 * min(cand.priority, 6) + (0.15 if actor1 else 0) + (0.1 if actor2 else 0)
        confidence -= 0.15 if secondary else 0
        confidence -= 0.1 if negated else 0
        return Event(
            type=etype, mode=mode,
            actor1=actor1.actor if actor1 else None, actor2=actor2.actor if actor2 else None,
            location=location, date=date_value, date_text=date_text, date_precision=precision,
            fatalities=fatalities, sentence=sent.text, start=sent.start_char, end=sent.end_char,
            confidence=round(max(0.05, min(confidence, 0.99)), 2), trigger=token.text,
            location_source=loc_source, date_source=date_source,
            supporting=((sent.start_char, sent.end_char),),
            speaker=speaker.actor if speaker is not None and (actor1 is None or speaker.span.start != actor1.span.start
                                                              or obligation is not None) else None,
        )

    def _mode(self, sent: Span, etype: str, mode: str | None) -> str | None:
        cues = self.mode_cues.get(etype)
        if not cues:
            return mode
        for tok in sent:
            found = cues.get(tok.lemma_.lower()) or cues.get(tok.lower_)
            if found and (mode is None or found == "suicide-attack"):
                return found
        return mode

    # -- actors ---------------------------------------------------------------------
    def _actors(self, token: Token, etype: str | None = None, trigger_type: str | None = None
                ) -> tuple[ActorMention | None, ActorMention | None]:
        """actor1 (source) and actor2 (target) from the trigger's dependents, read for an
        event of type `etype` (an act two parties do together, `RECIPROCAL`, pairs them)
        whose trigger reads `trigger_type` (the personnel a deployment or withdrawal moves
        are the mover's own, not its target: "withdraw weapons inspectors")."""
        reciprocal = etype in RECIPROCAL
        moves = trigger_type in ("MOBILIZE", "RETREAT")
        read = self.actors.read
        kids = list(token.children)
        subj = clauses.first_child(kids, "nsubj")
        subjpass = clauses.first_child(kids, "nsubjpass")
        if subj is not None and subjpass is None and clauses.elided_passive(token):
            subj, subjpass = None, subj  # "civilians were killed and dozens wounded"
        agent = clauses.passive_agent(token)
        # "Kenya's police arrest 23 rustlers": a headline's verb the parser took for a noun has
        # a subject and an object of its own, and is read as the verb it is
        verbal = token.pos_ in ("VERB", "ADJ") or (token.pos_ == "NOUN" and (
            subj is not None or clauses.first_child(kids, "dobj") is not None))
        if verbal and token.pos_ == "NOUN" and subj is None:
            # "Nigeria's police arrest 40 kidnappers": the subject parsed as the noun's compound
            subj = next((c for c in reversed(list(token.lefts)) if c.dep_ in ("compound", "nsubj")), None)
        obj = (clauses.first_child(kids, "dobj") or clauses.first_child(kids, "attr")) \
            if token.pos_ == "VERB" or (verbal and token.pos_ == "NOUN") else None
        source: Token | None = None
        target: Token | None = None
        if verbal:
            if subjpass is not None and agent is None and token.lemma_.lower() in STATIVE_PASSIVES:
                source, target = subjpass, obj  # "Israel is opposed to ...": a state of the subject
            elif subjpass is not None:
                source, target = agent or clauses.by_phrase(token), subjpass
            elif token.lemma_.lower() in DIE_VERBS:
                source, target = agent, subj  # "a prisoner died under torture": the dead are the target
            else:
                source, target = subj, obj
            if source is not None and source.tag_ in ("WP", "WDT") and token.dep_ == "relcl":
                source = token.head  # "three men who attacked a checkpoint": the men
            if target is not None and target.tag_ in ("WP", "WDT") and token.dep_ == "relcl" and subjpass is not None:
                target = token.head  # "a man who was arrested on suspicion of theft": the man
            loser = clauses.prep_object(token, ("from",)) if obj is not None and _place(obj) else None
            if loser is not None and not _place(loser) and subjpass is None:
                target = loser  # "retook the town from rebels": the fight was with the rebels
            recipient = clauses.prep_object(token, ("to",)) if token.lemma_.lower() in GIVING_VERBS else None
            if recipient is not None and subjpass is None:
                target = recipient  # "contribute 4,000 troops to a force in Liberia": the troops are the giver's
            opponent = (clauses.prep_object(token, ("against", "with")) or clauses.prep_object(obj, ("against", "with"))) \
                if obj is not None else None
            if subj is not None and subj.lemma_.lower() in EVENT_NOUNS | {"fighting", "fight", "clash"} \
                    and opponent is not None:
                source, target = obj, opponent  # "fighting pitted X against Y"
            active_participle = token.tag_ == "VBN" and agent is None and any(
                c.dep_ == "prep" and c.lower_ in ("on", "against", "toward", "towards", "into") for c in token.children)
            if source is None and subjpass is None and token.dep_ in ("acl", "relcl") and (
                    token.tag_ != "VBN" or active_participle or clauses.swallowed_clause(token.head)):
                source = token.head  # "forces converged on ...", parsed as a noun phrase
            elif target is None and subj is None and token.dep_ == "acl" and token.tag_ == "VBN":
                target = token.head  # "people killed by ..."
            between = clauses.prep_object(token, ("between",)) if token.tag_ == "VBG" and subj is None else None
            if between is not None:  # "fighting between soldiers and dissidents", parsed as a gerund
                source = between
                target = next((c for c in between.children if c.dep_ == "conj"), target)
            if source is None:
                source = clauses.inherited_subject(token)
            if target is None:
                target = clauses.prep_object(token, ("against", "with", "on", "to", "at", "from", "for", "into", "in"))
            if target is None:
                target = clauses.embedded_target(token)
            if token.dep_ == "advcl" and token.tag_ == "VBG" and (target is None or target.like_num):
                # "launched rocket fire against the camps, killing 50": the head's opponent
                target = next((clauses.first_child(list(t.children), "pobj") for t in token.head.subtree
                               if t.i < token.i and t.dep_ == "prep" and t.lower_ == "against"), None)
        else:  # a noun trigger: "the bombing by IS", "fighting between X and Y"
            source = agent or clauses.noun_source(token)
            doer = token.head.head if token.dep_ == "pobj" else token.head if token.dep_ == "dobj" else None
            if source is None and doer is not None and doer.dep_ == "relcl" and any(
                    c.dep_ == "nsubj" and c.tag_ in ("WP", "WDT") for c in doer.children):
                source = doer.head  # "supporters who had gathered for a rally": the supporters
            # An opponent ("rallies against X", "staged rallies ... against X") before a place ("in Gaza")
            governing = token.head if token.dep_ == "dobj" else token.head.head if token.dep_ == "pobj" else None
            target = clauses.prep_object(token, ("against", "targeting")) or (
                clauses.prep_object(governing, ("against", "on", "at", "into", "with")) if governing is not None else None) or clauses.prep_object(
                token, ("on", "at", "with", "in"))
            if target is None and trigger_type in PATIENT_OF_TYPES:
                # "the abduction of 30 students", "the forced removal of children": done to them
                target = clauses.prep_object(token, ("of",))
            if target is None:  # "a general strike that shut down Kathmandu"
                done = next((c for c in token.children if c.dep_ == "relcl"), None)
                target = clauses.first_child(list(done.children), "dobj") if done is not None else None
            giver = (clauses.prep_object(token, ("of", "from")) or clauses.prep_object(token.head, ("from",))) \
                if token.dep_ == "dobj" and token.head.lemma_.lower() in RECEIVING_VERBS else None
            if giver is not None:
                # "she won the backing of Unison": Unison backs her
                source, target = giver, clauses.first_child(list(token.head.children), "nsubj")
            between = clauses.prep_object(token, ("between",)) or (
                clauses.prep_object(token.head, ("between",)) if token.dep_ == "nsubj" else None)
            if between is not None:
                source = between
                target = next((c for c in between.children if c.dep_ == "conj"), target)
            anchor = token
            while anchor.head.i != anchor.i and (anchor.dep_ in ("compound", "appos") or (
                    anchor.dep_ == "pobj" and anchor.head.lower_ == "of" and anchor.head.head.pos_ == "NOUN")):
                # "undertook a mediation mission", "declared X persona non grata", "was placed on a
                # state of readiness": the trigger's phrase is the object
                anchor = anchor.head if anchor.dep_ != "pobj" else anchor.head.head
            head = anchor.head
            verb = head.head if anchor.dep_ == "pobj" and head.head.pos_ == "VERB" else head
            stative = verb.lemma_.lower() in STATIVE_PASSIVES  # "forces were engaged in ethnic cleansing"
            if source is None and anchor.dep_ == "nsubjpass" and verb.pos_ == "VERB":
                source = clauses.passive_agent(verb)  # "an inspection was carried out by IAEA inspectors"
            if source is None and anchor.dep_ in ("dobj", "pobj", "attr", "nsubjpass") and verb.pos_ in ("VERB", "AUX"):
                source = clauses.first_child(list(verb.children), "nsubj") or (
                    clauses.first_child(list(verb.children), "nsubjpass") if stative else None) or clauses.inherited_subject(verb)
            passive = clauses.phrase_verb(token)
            if passive is not None and passive.lemma_.lower() not in STATIVE_PASSIVES and (
                    undergoer := clauses.first_child(list(passive.children), "nsubjpass")) is not None:
                # "two diplomats were declared persona non grata by Russia"
                source, target = clauses.by_phrase(passive) or source, undergoer
            if token.dep_ == "nsubj" and head.lemma_.lower() in HARM_VERBS and between is None:
                # "the blast killed five soldiers" (but "clashes between X and Y killed 17": Y)
                target = clauses.first_child(list(head.children), "dobj") or target
            if token.dep_ == "pobj" and head.head.pos_ == "VERB" and not stative:
                verb = head.head  # "was put under investigation in Italy": the one put under it
                target = clauses.first_child(list(verb.children), "nsubjpass") or target
            critic, criticised = _under_fire(token) if token.lemma_.lower() == "fire" else (None, None)
            if critic is not None:  # "Eskom came under fire from the unions": the critics are the source
                source, target = critic, criticised
            if moves and source is None and target is not None and target.dep_ == "nsubjpass":
                source, target = target, None  # "the army was placed on alert": the army moves
        if source is not None and source.lemma_.lower() in EVENT_NOUNS:
            source = clauses.passive_agent(source) or clauses.noun_source(source)
        if source is not None and source.lower_ in ("it", "they", "he", "she", "we"):
            # A pronoun inside a quotation is the quoted text's, not the speaker's.
            source = None if clauses.in_quotes(token) else clauses.speaker_of(token)
        if source is not None and source.pos_ in ("VERB", "AUX") and source.dep_ in ("nsubj", "nsubjpass"):
            source = clauses.first_child(list(source.children), "nsubj") or source  # "the Red Cross operating in Iraq said"
        is_actor = self.actors.is_actor
        a1 = read(source)
        town = a1 is not None and a1.span.label_ == "GPE" and _names_the_act(source, token) \
            and self.gazetteer.country_code(a1.span.text) is None
        if town:
            a1 = None  # "the Nairobi mall attack": a town before an act is where it happened, not who did it
        if (a1 is None or not is_actor(a1)) and not town:
            owner = next((m for m in map(read, clauses.owners_of(source)) if m is not None and is_actor(m)), None)
            # "twelve asylum seekers began a hunger strike": a noun for people by role is the doer,
            # unless it counts or belongs to someone ("the last contingent of U.N. peacekeepers")
            a1 = owner if owner is not None or a1 is None or not self.actors.names_people(a1.span.root) else a1
        if a1 is None and not town and subjpass is None and not (source is not None and source.pos_ == "PRON"):
            subjects = (t for t in clauses.clause_subjects(token) if target is None or t.i != target.i)
            a1 = next((m for m in map(read, subjects) if m is not None and is_actor(m)), None)
        # a thing done to ("a law ... was condemned") is read for whose it is, as an object is
        passive_target = target is not None and subjpass is not None and target.i == subjpass.i
        owned = obj if obj is not None else target if passive_target else None
        fallbacks = clauses.target_fallbacks(token, owned)
        a2 = next((m for m in map(read, [target, *fallbacks])
                   if m is not None and (is_actor(m) or self.actors.names_people(m.span.root))
                   and not clauses.own_forces(m.span)
                   and not (etype != "FIGHT" and _where(m.span.root))
                   and not _instrument(m.span.root)
                   and not (moves and obj is not None and m.span.root.i == obj.i and self._personnel(m))
                   and (a1 is None or m.span.start != a1.span.start)), None)
        if a2 is None or not self.actors.is_agent(a2):
            controlled = read(clauses.controller_object(token))
            if controlled is not None and self.actors.is_agent(controlled) and (
                    a1 is None or controlled.span.start != a1.span.start):
                a2 = controlled
        # "Mali and Niger signed a deal in Niamey": two sources acting together, no place as target;
        # in an act done together the second is the first's counterpart (the dyad of event data)
        partner = None
        if source is not None:  # "X and Y", or "representatives of X and Y"
            heads = [source] + [g for c in source.children if c.dep_ == "prep" and c.lower_ == "of"
                                for g in c.children if g.dep_ == "pobj"]
            partner = next((c for h in heads for c in h.children if c.dep_ == "conj"), None)
        joint = partner is not None
        if joint and a2 is not None and a2.span.label_ in ("GPE", "LOC", "FAC"):
            a2 = None
        if joint and reciprocal and (a2 is None or not self.actors.is_agent(a2) or etype != "FIGHT"):
            counterpart = read(partner)
            a2 = counterpart if counterpart is not None and is_actor(counterpart) else a2
        if (a2 is None or not self.actors.is_agent(a2)) and not joint:
            named = self._named_target(token, a1, protest=etype == "PROTEST")
            if named is not None:
                a2 = named
        clause = token if token.dep_ == "advcl" else token.head if token.dep_ == "dobj" else None
        if (a2 is None or not self.actors.is_agent(a2)) and clause is not None and clause.dep_ == "advcl" \
                and clause.head.lemma_.lower() in HARM_VERBS | INJURY_VERBS:
            # "five people were killed when gunmen opened fire": the act's victims are the killed
            victims = read(clauses.first_child(list(clause.head.children), "nsubjpass"))
            a2 = victims if victims is not None and is_actor(victims) else a2
        if etype in FACILITY_TARGET_TYPES and (a2 is None or a2.span.label_ in ("GPE", "LOC") or _place(a2.span.root)):
            # a facility struck is the target before the region it stands in
            if target is None and token.dep_ == "nsubj" and token.pos_ == "NOUN":
                target = clauses.prep_object(token.head, ("through", "into", "at", "on"))  # "a bomb tore through"
            things = [target, *clauses.owners_of(target), *fallbacks]
            facility = next((t for t in things if t is not None and t.lemma_.lower() in FACILITY_NOUNS
                             and not t.ent_type_), None)
            a2 = read(facility) if facility is not None else a2
        if a1 is not None and a2 is not None and a1.span.start == a2.span.start:
            a2 = None
        return a1, a2

    def _moved(self, token: Token) -> Token | None:
        """What a verb of transfer moves: its object or passive subject, or what a measure of it
        counts ("1,300 tonnes of sorghum", "three tonnes of medical supplies")."""
        kids = list(token.children)
        if token.lemma_.lower() == "hand" and not (any(c.dep_ == "prt" and c.lower_ == "over" for c in kids) or (
                token.i + 1 < len(token.doc) and token.doc[token.i + 1].lower_ == "over")):
            return None  # "handed a defeat", "hand in"
        moved = clauses.first_child(kids, "dobj") or clauses.first_child(kids, "nsubjpass")
        if moved is None:
            return None
        counted = clauses.prep_object(moved, ("of",))
        return counted if counted is not None and counted.lemma_.lower() in RELIEF_NOUNS else moved

    def _killed(self, token: Token) -> ActorMention | None:
        """Who the act killed, by its "killing ..." clause: "stormed the district, killing nine people"."""
        killing = next((c for c in token.children if c.dep_ == "advcl" and c.lemma_.lower() == "kill"), None)
        return self.actors.read(clauses.first_child(list(killing.children), "dobj")) if killing is not None else None

    def _personnel(self, mention: ActorMention) -> bool:
        """ "army reservists", "weapons inspectors": people sent or withdrawn, named by their role."""
        return not mention.span.label_ and self.actors.nouns.get(mention.span.root.lemma_.lower()) in (
            "MIL", "IGO", "COP", "GOV")

    def _named_target(self, token: Token, actor1: ActorMention | None, protest: bool = False) -> ActorMention | None:
        """The first named actor after the trigger in its own clause, when the parse's
        target is a thing ("Turkey's efforts", "a visit to Haiti", "aid to Serbia").

        The clause is the trigger's subtree, or its verb's for a noun trigger ("staged
        rallies against X"); speakers ("officials said") and background clauses are skipped, and
        so are places only "near" the act and the town a protest marches in ("marched in Tbilisi")."""
        clause = token
        if token.pos_ in ("NOUN", "PROPN") and token.dep_ in ("dobj", "pobj", "attr", "nsubjpass", "compound"):
            clause = token.head.head if token.dep_ == "pobj" and token.head.head.pos_ == "VERB" else token.head
        after = min(token.i, clause.i)
        skip = set(range(actor1.span.start, actor1.span.end)) if actor1 is not None else set()
        # "an army post near Djibo in northern Burkina Faso": everything under "near" places the act
        nearby = {t.i for p in clause.subtree if p.dep_ == "prep" and p.lower_ in NEAR_PREPS for t in p.subtree}
        for tok in clause.subtree:
            if tok.i <= after or tok.i == token.i or tok.i in skip or not tok.ent_type_ or tok.ent_type_ not in NAMED_ACTORS:
                continue
            if clauses.under_background(tok, clause) or clauses.is_speaker(tok):
                continue
            # "an Alewite temple, Cemevi": the name read with the noun it glosses
            glossed = tok.head.pos_ == "NOUN" and (tok.dep_ == "appos" or tok.dep_ in ("compound", "amod") and any(
                c.dep_ == "appos" and c.ent_type_ in NAMED_ACTORS for c in tok.head.children))
            if not glossed and tok.ent_type_ == "NORP" and tok.dep_ in ("amod", "compound", "nmod") and (
                    tok.head.lemma_.lower() in PLACE_HEADS or tok.head.ent_type_ in NAMED_ACTORS or tok.head.pos_ == "PROPN"):
                continue  # "near the Kenyan town of Mandera": where, not whom; "Pakistani Taliban": the name is next
            mention = self.actors.read(tok.head if glossed else tok)
            if mention is not None and mention.span.label_ == "GPE" and _names_the_act(mention.span.root, token):
                continue  # "the victims of the Kabul bombing": where, not whom
            if mention is not None and mention.span.label_ in NAMED_ACTORS and not (
                    mention.span.root.i in nearby or protest and _where(mention.span.root)) and (
                    actor1 is None or mention.actor.canonical != actor1.actor.canonical):
                return mention
        return None

    # -- where and when -------------------------------------------------------------
    def _location(self, sent: Span, token: Token, actor1: ActorMention | None, actor2: ActorMention | None,
                  dateline_loc: Location | None, countries: tuple[str, ...]) -> tuple[Location | None, str | None]:
        found = self._sentence_location(sent, token, actor1, countries, target=actor2.span if actor2 else None)
        if found is not None:
            return found, "sentence"
        fallback: Location | None = None
        source: str | None = None
        for other in clauses.paragraph_sentences(sent):
            if other.start != sent.start:
                fallback = self._sentence_location(other, other.root, None, countries, strict=True)
                if fallback is not None:
                    source = "paragraph"
                    break
        if fallback is None and dateline_loc is not None:
            fallback, source = dateline_loc, "dateline"
        if fallback is not None and fallback.precision == "city" and fallback.admin1 and any(
                t.lemma_.lower() in ADMIN_NOUNS and not t.ent_type_ for t in sent):
            fallback = self.gazetteer.admin1_location(fallback.text, fallback.admin1, fallback.country or "")
        return fallback, source

    def _sentence_location(self, sent: Span, token: Token, actor1: ActorMention | None,
                           countries: tuple[str, ...], strict: bool = False,
                           target: Span | None = None) -> Location | None:
        best: tuple[int, Location] | None = None
        rank = {"city": 0, "admin1": 1, "country": 2}
        for ent in sentence_entities(sent):
            root = ent.root
            kind = root.head.lemma_.lower() if root.dep_ == "compound" and root.head.i == ent.end else None
            if ent.label_ not in ("GPE", "LOC", "FAC") and kind not in ADMIN_NOUNS:
                continue  # a name before "state" or "region" is a place whatever the tagger says
            inside = 0.0
            if actor1 is not None and actor1.span.start <= ent.start < actor1.span.end:
                if kind not in PLACE_COMPOUND_HEADS:
                    continue
                inside = 3.0  # "a Hong Kong court sentenced ...": where the court sits, if nothing better
            if ent.end < len(ent.doc) and ent.doc[ent.end].text in ("-", "–") or root.dep_ == "npadvmod":
                continue  # "Britain-based", "US-led"
            if ent.start > 0 and ent.doc[ent.start - 1].text in ("-", "–") and ent.doc[ent.start - 1].whitespace_ == "":
                continue  # "anti-Syria", "pro-Moscow"
            if _in_attribution(root, token):
                continue  # "sources in neighbouring Pakistan said": where the speaker is, not the event
            prep = root.head if root.dep_ == "pobj" else None
            if prep is not None and prep.lower_ == "from" and prep.head.pos_ in ("NOUN", "PROPN"):
                continue  # "a missionary from Calgary": where someone comes from
            attached = prep is not None and prep.lower_ in LOCATION_PREPS
            if root.dep_ == "pobj" and prep is not None and prep.lower_ == "of" and prep.head.lemma_.lower() in (
                    ADMIN_NOUNS | {"town", "city", "village", "outskirts", "area", "capital", "suburb"}):
                attached = True
            if _names_the_act(root, token):
                attached = True  # "the Manhattan truck attack", "a Kabul bombing": the act's own place
            if strict and not attached:
                continue
            compound_head = root.head.lemma_.lower() if root.dep_ == "compound" else None
            if root.dep_ == "poss" or compound_head is not None and compound_head not in PLACE_COMPOUND_HEADS:
                if not attached:
                    continue
            # "Zamfara state", "North Kivu province": the name with its kind
            named = f"{ent.text} {root.head.text}" if kind in ADMIN_NOUNS else ent.text
            loc = self.gazetteer.geocode(named, countries) or (
                self.gazetteer.geocode(ent.text, countries) if named != ent.text else None)
            if loc is None:
                continue
            if compound_head in ADMIN_NOUNS and loc.admin1 and loc.country:
                loc = self.gazetteer.admin1_location(ent.text, loc.admin1, loc.country)
            score = clauses.tree_distance(root, token) + (0 if attached else 2) + rank.get(loc.precision, 3) * 0.5 + inside
            if target is not None and target.start <= ent.start < target.end and target.root.dep_ in (
                    "dobj", "pobj", "nsubjpass"):
                score -= 5  # the place the action is done to: "retook Al-Qaim"
            if best is None or score < best[0]:
                best = (score, loc)
        return best[1] if best else None

    def _date(self, sent: Span, token: Token, published: date | None) -> tuple[str | None, str | None, str | None, str | None]:
        dates = [e for e in sentence_entities(sent) if e.label_ == "DATE"]
        dates.sort(key=lambda e: clauses.tree_distance(e.root, token))
        for ent in dates:
            resolved = resolve_date(ent.text, published)
            if resolved is not None:
                return resolved.date, resolved.text, resolved.precision, "sentence"
        if published is not None:
            return published.isoformat(), None, "day", "published"
        return None, None, None, None


def _act_first(candidates: list[_Candidate]) -> list[_Candidate]:
    """The candidates with the one that carries the sentence's act first, where the
    strongest trigger only names it or its outcome."""
    top = candidates[0]
    if top.token.pos_ == "NOUN":
        # "killed in a car bomb explosion": the verb carries the actors; "prevented the
        # demonstration", "condemned the attack": the verb's act is the event, its object the topic.
        verb = next((c for c in candidates if c.token.pos_ == "VERB" and c.background == top.background
                     and c.token.lemma_.lower() not in INJURY_VERBS  # "wounded in a bombing": its outcome
                     and (c.type == top.type and clauses.dominates(c.token, top.token, through_conj=False)
                          or top.token.dep_ == "dobj" and top.token.head.i == c.token.i and not top.phrasal)),
                    None)
        if verb is not None:
            candidates.remove(verb)
            candidates.insert(0, replace(verb, mode=verb.mode or top.mode) if verb.type == top.type else verb)
    top = candidates[0]
    if top.token.pos_ == "VERB" and top.token.lemma_.lower() in HARM_VERBS | INJURY_VERBS \
            and any(c.dep_ == "nsubjpass" for c in top.token.children) and clauses.passive_agent(top.token) is None:
        # "militants were killed when special forces stormed a hideout": the storming is the act,
        # the killing what it did, not an event of its own
        clause = next((c for c in top.token.children if c.dep_ == "advcl" and any(
            m.dep_ in ("mark", "advmod") and m.lower_ in ("when", "as") for m in c.children)), None)
        act = next((c for c in candidates if clause is not None and (
            c.token.i == clause.i or c.token.head.i == clause.i and c.token.dep_ == "dobj")), None)
        if act is not None:
            candidates = [replace(act, background=top.background)] + [c for c in candidates if c not in (act, top)]
    top = candidates[0]
    if top.token.dep_ == "xcomp":
        # "asked a judge to order the arrest": the asking carries who was asked
        governing = next((c for c in candidates if c.token.i == top.token.head.i and c.type == top.type
                          and c.background == top.background), None)
        if governing is not None:
            candidates.remove(governing)
            candidates.insert(0, governing)
    return candidates


def _second_act(cand: _Candidate, first: _Candidate) -> bool:
    """A trigger outside the first one's clause that tells an act of its own: in a participle
    beside it ("denied any involvement, calling the accusations a provocation"), in a clause of
    time reported as done ("called for calm after agents arrested the premier"), or in a
    relative clause on whom it was done to ("dispersed protesters who marched on the
    assembly"). An attack and what it did are one act ("flattened homes, killing 90")."""
    if cand.type == first.type or {cand.type, first.type} <= ARMED:
        return False
    if cand.priority >= 3 and (_participle_act(cand.token, first.token) or _told_as_time(cand.token, first.token)):
        return True
    return cand.priority >= 2 and _done_by_object(cand.token, first.token)


def _deadline(give: Token) -> Token | None:
    """The act a time limit is given for: "gave them 72 hours to surrender" (surrender)."""
    limit = next((c for c in give.children if c.dep_ in ("dobj", "npadvmod") and c.lemma_.lower() in TIME_LIMITS
                  and any(n.dep_ == "nummod" or n.like_num for n in c.children)), None)
    if limit is None:
        return None
    return next((v for v in (*give.children, *limit.children) if v.pos_ == "VERB" and v.dep_ in ("advcl", "relcl", "xcomp", "acl")
                 and any(a.dep_ == "aux" and a.lower_ == "to" for a in v.children)), None)


def _reported_done(verb: Token, *, passive: bool) -> bool:
    """The verb tells an act as done: a past tense or a perfect ("had marched"), or with
    `passive` a past passive ("was arrested"), not negated."""
    if clauses.negated(verb):
        return False
    return verb.tag_ == "VBD" or verb.tag_ == "VBN" and any(
        c.dep_ == "aux" and c.lower_ in ("had", "have", "has")
        or passive and c.dep_ == "auxpass" and c.lower_ in ("was", "were") for c in verb.children)


def _told_as_time(token: Token, first: Token) -> bool:
    """ "detained four people after protesters blocked tracks": the trigger is the past-tense
    verb (or its object) of a clause that dates the first trigger's ("after", "before",
    "when"), with a subject of its own and no negation."""
    verb = token if token.pos_ == "VERB" else token.head if token.dep_ == "dobj" else None
    if verb is None or verb.dep_ != "advcl" or not _reported_done(verb, passive=False):
        return False
    if not any(c.dep_ == "mark" and c.lower_ in TIME_MARKS for c in verb.children):
        return False
    if not any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children):
        return False
    head = verb.head
    return head.i == first.i or clauses.dominates(head, first, through_conj=True) or clauses.dominates(first, verb, through_conj=True)


def _participle_act(token: Token, first: Token) -> bool:
    """ "told reporters, demanding the repeal of the decree", "said 87 people had been
    arrested, accusing infiltrated groups": a present participle hung on the clause of the
    first trigger, with no subordinating word, tells a second act of the same doer."""
    if token.tag_ != "VBG" or token.dep_ != "advcl" or any(c.dep_ == "mark" for c in token.children):
        return False
    head = token.head
    return head.i == first.i or clauses.dominates(head, first, through_conj=True) or head.dep_ == "ROOT"


def _done_by_object(token: Token, first: Token) -> bool:
    """ "dispersed protesters who had marched on the assembly", "arrested the men who
    stormed the base", "a man who was arrested ... was released": the trigger is the verb of a
    relative clause on the first trigger's object or subject (or what that verb did),
    reported as done, not negated."""
    verb = token if token.dep_ == "relcl" else token.head if token.head.dep_ == "relcl" and token.dep_ == "dobj" \
        else token.head.head if token.dep_ == "pobj" and token.head.head.dep_ == "relcl" else None
    if verb is None or verb.pos_ not in ("VERB", "AUX") or not _reported_done(verb, passive=True):
        return False
    owner = verb.head
    while owner.dep_ == "pobj" and owner.head.lower_ == "of" and owner.head.head.i != owner.head.i:
        owner = owner.head.head  # "thousands of protesters who marched"
    acted_on = first if first.pos_ == "VERB" else first.head
    # "a second man, who was arrested on suspicion of ..., has been released on bail"
    return owner.dep_ in ("dobj", "nsubjpass", "nsubj") and owner.head.i == acted_on.i \
        or owner.dep_ == "pobj" and owner.head.head.i == acted_on.i


def _in_attribution(token: Token, trigger: Token) -> bool:
    """True when `token` sits in the subject of a speech verb other than the trigger, or
    under "according to": the phrase that names who reports the event."""
    node = token
    for _ in range(12):
        if node.i == trigger.i or node.head.i == node.i:
            return False
        if node.dep_ == "nsubj" and node.head.lemma_.lower() in SPEECH_VERBS and node.head.i != trigger.i:
            return not clauses.dominates(node, trigger, through_conj=True)
        if node.dep_ == "prep" and node.lower_ == "according":
            return True
        node = node.head
    return False


PLACE_NOUNS = frozenset("town city village base camp checkpoint airport district province territory area hill port border crossing "
                        "region neighbourhood neighborhood suburb outpost stronghold garrison capital".split())


def _under_fire(fire: Token) -> tuple[Token | None, Token | None]:
    """(the critic, the criticised) of "X came under fire from Y"; (None, None) unless the
    phrase is "come under fire", the critic None where nobody is named."""
    came = fire.head.head
    if fire.dep_ != "pobj" or fire.head.lower_ != "under" or came.lemma_.lower() != "come":
        return None, None
    critic = clauses.prep_object(came, ("from",)) or clauses.prep_object(fire, ("from",))
    return critic, clauses.first_child(list(came.children), "nsubj")


def _instrument(token: Token) -> bool:
    """ "with drones and missiles": a weapon an act is done with (conjuncts included)."""
    node = token
    while node.dep_ == "conj" and node.head.i != node.i:
        node = node.head
    return token.lemma_.lower() in INSTRUMENTS and node.dep_ == "pobj" and node.head.lower_ == "with"


def _place(token: Token) -> bool:
    """A place one can take: a named place or a noun for one ("the town", "an army base")."""
    return token.ent_type_ in ("GPE", "LOC", "FAC") or token.lemma_.lower() in PLACE_NOUNS


def _asked_for(demand: Token, token: Token) -> bool:
    """True when `token` sits in the complement clause of the demanding verb: "urged X to
    sign", "asked that X endorse"."""
    node = token
    for _ in range(12):
        if node.head.i == node.i:
            return False
        if node.head.i == demand.i:
            return node.dep_ in ("ccomp", "xcomp") or node.dep_ == "advcl" and any(
                c.dep_ == "mark" and c.lower_ == "for" for c in node.children)
        node = node.head
    return False


def _names_the_act(name: Token, trigger: Token) -> bool:
    """A name compounded with the act itself, or with the act noun that is the trigger's
    subject: "the Manhattan truck attack", "the Nairobi mall attack killed 67"."""
    if name.dep_ != "compound":
        return False
    head = name.head
    while head.dep_ == "compound" and head.head.i != head.i:
        head = head.head
    return head.i == trigger.i or (head.dep_ == "nsubj" and head.head.i == trigger.i
                                   and head.lemma_.lower() in EVENT_NOUNS)


def _where(token: Token) -> bool:
    """A named place after "in" or "near" says where, not whom: "marched in Moscow", "an ambush near Goma"."""
    return token.dep_ == "pobj" and (token.head.lower_ == "in" or token.head.lower_ in NEAR_PREPS) \
        and token.ent_type_ in ("GPE", "LOC", "FAC")


def _damning_label(verb: Token) -> bool:
    """The label a labelling verb gives is a damning one: the object predicate, or the second
    object where the parse reads two ("called the decision a provocation")."""
    objects = [c for c in verb.children if c.dep_ == "dobj"]
    # "described the kidnapping as a crime", "branded the vote as a farce"
    labels = [g for c in verb.children if c.dep_ == "prep" and c.lower_ == "as" for g in c.children if g.dep_ == "pobj"]
    return any(c.lemma_.lower() in DAMNING_LABELS for c in verb.children if c.dep_ == "oprd" or c in objects[1:]) \
        or any(c.lemma_.lower() in DAMNING_LABELS for c in labels)


def _damning_verdict(verb: Token) -> bool:
    """What the speaker says of something is damning: an adjective after a labelling verb
    ("called the move reckless"), or the predicate of the clause said ("said the response was
    unacceptable", "'This is blatant interference,' the minister said"), not negated."""
    if verb.lemma_.lower() in LABELLING_VERBS and any(
            c.dep_ in ("oprd", "acomp", "ccomp") and c.lemma_.lower() in DAMNING_ADJECTIVES for c in verb.children):
        return True
    for said in (c for c in verb.children if c.dep_ == "ccomp" and c.lemma_.lower() == "be"):
        if clauses.negated(said):
            continue
        for pred in said.children:
            if pred.dep_ == "acomp" and pred.lemma_.lower() in DAMNING_ADJECTIVES:
                return True
            if pred.dep_ == "attr" and pred.lemma_.lower() in DAMNING_LABELS:
                return True
    return False


def _modifier_only(mention: ActorMention) -> bool:
    """ "Kampuchean" in "Kampuchean guerrilla camps": a nationality read off a thing, not people."""
    return mention.span.label_ == "NORP" and mention.span.root.dep_ in ("amod", "compound", "nmod") \
        and mention.span.root.head.pos_ == "NOUN"


def _passive_verb(token: Token) -> Token:
    """The verb whose passive voice tells of an unnamed agent: the trigger itself, or the
    verb a noun trigger is the prepositional object of ("was put under investigation")."""
    if token.pos_ == "NOUN" and token.dep_ == "pobj" and token.head.head.pos_ == "VERB":
        return token.head.head
    return token


def _as_trigger(cand: _Candidate) -> TriggerCandidate:
    return TriggerCandidate(cand.token, cand.type, cand.priority, cand.background, cand.phrasal)


def is_subheading(text: str) -> bool:
    """ "- Fleeing civilians -" and similar section titles are not sentences."""
    return bool(SUBHEADING.match(text))


def merge_events(events: list[Event]) -> tuple[Event, ...]:
    """Merge mentions of one event: same type, compatible actors, date and place."""
    merged: list[Event] = []
    for event in events:
        for i, kept in enumerate(merged):
            if _same_event(kept, event):
                merged[i] = _combine(kept, event)
                break
        else:
            merged.append(event)
    return tuple(merged)


def _same_event(a: Event, b: Event) -> bool:
    if a.type != b.type or (a.mode and b.mode and a.mode != b.mode):
        return False
    if a.actor1 is None or b.actor1 is None or a.actor1.canonical != b.actor1.canonical:
        return False
    if a.date_source == "sentence" and b.date_source == "sentence" and a.date != b.date:
        return False
    if a.date_source != b.date_source and "sentence" not in (a.date_source, b.date_source):
        return False
    if a.location and b.location and a.location.country != b.location.country:
        return False
    if a.actor2 and b.actor2 and a.actor2.type != b.actor2.type:
        return False
    return True


def _combine(a: Event, b: Event) -> Event:
    """One event from two mentions: the first sentence, gaps filled from the second."""
    better_loc = a.location
    if b.location and (a.location is None or (a.location_source != "sentence" and b.location_source == "sentence")):
        better_loc = b.location
    fatalities = max((f for f in (a.fatalities, b.fatalities) if f is not None), default=None)
    dated = a if a.date_source == "sentence" or b.date_source != "sentence" else b
    return replace(
        a,
        mode=a.mode or b.mode,
        actor2=a.actor2 or b.actor2,
        location=better_loc,
        location_source=a.location_source if better_loc is a.location else b.location_source,
        date=dated.date, date_text=dated.date_text, date_precision=dated.date_precision,
        date_source=dated.date_source,
        fatalities=fatalities,
        confidence=round(min(0.99, max(a.confidence, b.confidence) + 0.05), 2),
        supporting=a.supporting + b.supporting,
    )
