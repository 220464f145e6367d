"""People killed, read from numbers attached to kill/die/dead/death-toll words.

Counts follow ACLED's conservative reading: "dozens" is 12, "scores" 20, "hundreds"
100, "thousands" 1,000; a number qualified "at least" or "more than" counts as itself.
Numbers attached to wounded/injured words are not fatalities, and a sentence with no
number attached to a death word gives None, not 0. Cumulative tolls are not this event's
dead either: a war or conflict as the killer ("the civil war has killed 13,000 people"),
or a count over a period ("since 2011", "this year", "so far") describes a history, so
only the sentence's other counts, if any, are kept.
"""

from __future__ import annotations

import logging
import re

from spacy.tokens import Span, Token

logger = logging.getLogger(__name__)

VAGUE_COUNTS = {"dozens": 12, "dozen": 12, "scores": 20, "score": 20, "hundreds": 100, "thousands": 1000,
                "tens": 10}
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
MULTIPLIERS = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
KILL_VERBS = {"kill", "murder", "massacre", "execute", "slay", "behead", "assassinate"}
DIE_VERBS = {"die", "perish"}
DEAD_WORDS = {"dead", "death", "toll", "fatality", "body", "corpse", "casualty"}
_VICTIM_DEPS = {"dobj", "nsubjpass", "conj", "appos"}
CUMULATIVE_NOUNS = {"war", "conflict", "uprising", "insurgency", "crisis", "campaign", "intifada", "revolt",
                    "rebellion", "revolution", "insurrection"}  # not "fighting": "the fighting killed 40 on Tuesday"
LIFE_WORDS = {"life", "lives"}
TOLL_VERBS = {"bring", "raise", "push", "take", "put", "lift"}


def parse_count(token: Token) -> int | None:
    """The number a count word stands for: "23", "1,500", "twenty-three", "dozens", "a dozen"."""
    word = token.lower_
    if word in VAGUE_COUNTS and not (word in ("dozen", "score") and _has_number_child(token)):
        return VAGUE_COUNTS[word]
    if re.fullmatch(r"\d{1,3}(,\d{3})+|\d+", word):
        value = int(word.replace(",", ""))
    elif word in NUMBER_WORDS and word not in ("a", "an"):
        value = NUMBER_WORDS[word]
    elif "-" in word and all(p in NUMBER_WORDS for p in word.split("-")):
        value = sum(NUMBER_WORDS[p] for p in word.split("-"))
    elif word in MULTIPLIERS:
        value = MULTIPLIERS[word]
    else:
        return None
    nxt = token.nbor(1) if token.i + 1 < len(token.doc) else None
    if nxt is not None and nxt.lower_ in MULTIPLIERS:
        value *= MULTIPLIERS[nxt.lower_]
    return value


def _has_number_child(token: Token) -> bool:
    return any(c.dep_ == "nummod" for c in token.children)


def count_of(token: Token) -> int | None:
    """How many people a noun phrase headed by `token` counts, or None."""
    value = parse_count(token)
    if value is not None:
        return value
    for child in token.children:
        if child.dep_ in ("nummod", "quantmod") or (child.dep_ == "amod" and child.like_num):
            value = parse_count(child)
            if value is not None:
                return value
        if child.dep_ == "det" and child.lower_ in ("a", "an") and token.lower_ in ("dozen", "score"):
            return VAGUE_COUNTS[token.lower_]
    return None


def count_fatalities(sent: Span) -> int | None:
    """People killed in the sentence, or None when no number is attached to a death word."""
    counts: list[int] = []
    for token in sent:
        lemma = token.lemma_.lower()
        if any(c.dep_ == "neg" for c in token.children):
            continue
        if (lemma in KILL_VERBS | DIE_VERBS | DEAD_WORDS or lemma == "claim") and _cumulative(token):
            continue  # "the war has killed 13,000", "bringing the toll this year to 200"
        if lemma == "claim" and token.pos_ == "VERB":  # "the blast claimed 12 lives"
            lives = [c for c in token.children if c.dep_ == "dobj" and c.lemma_.lower() in LIFE_WORDS]
            counts.extend(v for v in (count_of(t) for t in lives) if v is not None)
        elif lemma in KILL_VERBS and token.pos_ in ("VERB", "AUX"):
            victims = [c for c in token.children if c.dep_ in ("dobj", "nsubjpass")]
            if token.dep_ in ("acl", "amod") and token.head.pos_ in ("NOUN", "PROPN", "NUM"):
                victims.append(token.head)  # "12 people killed in ..."
            counts.extend(v for v in (count_of(t) for t in victims) if v is not None)
        elif lemma in DIE_VERBS:
            subjects = [c for c in token.children if c.dep_ in ("nsubj",)]
            counts.extend(v for v in (count_of(t) for t in subjects) if v is not None)
        elif lemma in DEAD_WORDS:
            value = count_of(token)
            if value is None and lemma == "toll":
                value = _toll_value(token)
            if value is None and lemma == "dead" and token.dep_ in ("amod", "acomp") and token.head.pos_ != "VERB":
                value = count_of(token.head)
            if value is None and lemma == "dead" and token.dep_ in ("oprd", "acomp", "ccomp", "xcomp"):
                subj = [c for c in token.head.children if c.dep_ in ("dobj", "nsubj")]
                value = next((v for v in (count_of(t) for t in subj) if v is not None), None)
            if value is not None:
                counts.append(value)
    return max(counts) if counts else None


def _toll_value(toll: Token) -> int | None:
    """ "the death toll rose to 30", "a toll of 30", "the toll is 30"."""
    candidates: list[Token] = []
    for child in toll.children:
        if child.dep_ == "prep" and child.lower_ == "of":
            candidates.extend(c for c in child.children if c.dep_ == "pobj")
    head = toll.head
    if toll.dep_ == "dobj" and head.lemma_.lower() in TOLL_VERBS:  # "bringing the death toll to 30"
        candidates.extend(g for c in head.children if c.dep_ == "prep" and c.lower_ == "to"
                          for g in c.children if g.dep_ == "pobj")
    if toll.dep_ == "nsubj":
        for child in head.children:
            if child.dep_ == "prep" and child.lower_ in ("to", "at"):
                candidates.extend(c for c in child.children if c.dep_ == "pobj")
            if child.dep_ in ("attr", "dobj", "npadvmod"):
                candidates.append(child)
    for cand in candidates:
        value = count_of(cand)
        if value is not None:
            return value
    return None


def _cumulative(token: Token) -> bool:
    """True when a death word counts a history rather than one event: its killer is a war
    ("the conflict has claimed 300,000 lives"), the toll is a war's ("the war's death toll"),
    or the count runs over a period ("since 2011", "this year", "so far", "in total")."""
    killers = [c for c in token.children if c.dep_ in ("nsubj", "poss")]
    dated = any(c.dep_ == "prep" and c.lower_ == "on" and any(g.ent_type_ == "DATE" for g in c.children)
                for c in token.children)
    if not dated:  # "killed in the war on Monday" is that Monday's event
        killers += [g for c in token.children if c.dep_ == "agent" or (c.dep_ == "prep" and c.lower_ in ("in", "from", "of", "by"))
                    for g in c.children if g.dep_ == "pobj"]
    if any(k.lemma_.lower() in CUMULATIVE_NOUNS for k in killers):
        return True
    scope = [token]
    if token.lemma_.lower() == "toll" and token.dep_ in ("nsubj", "dobj"):
        scope.append(token.head)  # "the toll this year rose to", "bringing the toll since March to"
    for node in scope:
        for child in node.children:
            if child.dep_ == "prep" and child.lower_ == "since":
                return True
            if child.dep_ == "prep" and child.lower_ == "in" and any(g.lower_ == "total" for g in child.children):
                return True
            if child.dep_ in ("npadvmod", "advmod") and _period_phrase(child):
                return True
    return False


def _period_phrase(token: Token) -> bool:
    """ "this year", "so far", "to date", "overall", "last year": a count's running period."""
    words = [t.lower_ for t in token.subtree]
    text = " ".join(words)
    return text in ("so far", "to date", "overall", "altogether") or (
        len(words) >= 2 and words[0] in ("this", "last", "past") and words[-1] in ("year", "month", "decade", "years", "months"))
