"""Dependency-parse helpers for the event reader: clauses, subjects, objects, modality.

Pure functions over spaCy `Token`s and `Span`s, split from `pipeline.nlp.events` so that
the reader keeps the decisions and this module the tree walking; the word sets they
share are defined here once.
"""

from __future__ import annotations

import re

from spacy.tokens import Span, Token

SUBHEADING = re.compile(r"^\s*[-–—•*]+\s*[^\n]{1,80}?\s*[-–—•*]+\s*$")
SPEECH_VERBS = {"say", "tell", "announce", "state", "report", "add", "claim", "conclude", "confirm", "declare",
                "quote", "charge", "note", "insist"}
THREAT_GOVERNORS = {"threaten", "warn", "vow", "swear"}
ACCUSATION_VERBS = {"accuse", "suspect", "charge", "convict", "acquit", "blame", "allege", "indict"}
CLAIM_NOUNS = {"allegation", "claim", "accusation", "report", "charge", "suspicion", "rumour", "rumor"}
INTENT_GOVERNORS = {"plan", "intend", "prepare", "ready", "willing", "decide", "agree", "promise", "pledge", "offer"}
FUTURE_AUX = {"will", "would", "shall", "'ll"}
VIOLENT = {"ASSAULT", "FIGHT", "COERCE", "MOBILIZE", "SANCTION", "PROTEST", "REJECT"}
COOPERATIVE = {"AID", "COOPERATE", "CONSULT", "SUPPORT", "CONCEDE", "RETREAT", "AGREE"}
EVENT_NOUNS = {"bombing", "attack", "explosion", "blast", "bomb", "ambush", "shooting", "raid", "strike",
               "offensive", "assault", "massacre", "airstrike", "shelling"}
LIGHT_VERBS = {"carry", "launch", "stage", "conduct", "begin", "start", "mount", "hold", "impose", "undertake",
               "make", "organize", "organise", "use", "give", "reach", "issue", "take", "resort"}
HARM_VERBS = {"kill", "target", "hit", "wound", "injure", "strike", "claim", "destroy", "damage"}
LOCATION_PREPS = {"in", "at", "near", "outside", "around", "across", "inside", "into", "on", "from"}
ADMIN_NOUNS = {"province", "governorate", "region", "state", "district", "prefecture", "county", "department"}
FATALITY_TYPES = {"ASSAULT", "FIGHT", "COERCE", "PROTEST"}


BACKGROUND_MARKS = {"after", "before", "because", "unless", "if", "until", "since", "while", "when", "as",
                    "though", "although", "once", "whereas"}
BACKGROUND_PREPS = {"after", "before", "following", "during", "amid", "despite", "because", "since", "until",
                    "over", "without"}
OBLIGATION_AUX = {"must", "should", "ought"}
PLEDGE_AUX = FUTURE_AUX - {"would"}  # "must and will": a commitment, not a conditional
FIRST_PERSON = {"i", "we"}
STATE_ACTIONS = {"COERCE", "INVESTIGATE"}
STATIVE_PASSIVES = {"oppose", "commit", "engage", "determine", "involve", "dedicate", "resolve"}
GIVING_VERBS = {"contribute", "send", "deploy", "dispatch", "give", "provide", "donate", "supply", "deliver",
                "ship", "grant", "extend", "hand"}
# Acts two parties do together: "X and Y signed a truce" is the dyad X, Y
RECIPROCAL = {"AGREE", "CONSULT", "COOPERATE", "FIGHT"}
DEMAND_SPEECH = SPEECH_VERBS | {"conclude", "insist", "urge", "reiterate", "write"}


def first_child(children: list[Token], dep: str) -> Token | None:
    return next((c for c in children if c.dep_ == dep), None)


def depth_of(token: Token) -> int:
    depth = 0
    while token.head.i != token.i and depth < 50:
        token = token.head
        depth += 1
    return depth


def dominates(a: Token, b: Token, *, through_conj: bool) -> bool:
    """True when `b` sits below `a` in the tree (optionally not counting conj links)."""
    node = b
    for _ in range(50):
        if node.head.i == node.i:
            return False
        if not through_conj and node.dep_ == "conj" and node.head.i == a.i:
            return False
        node = node.head
        if node.i == a.i:
            return True
    return False


NAMED_ACTORS = {"PERSON", "ORG", "NORP", "GPE"}
PARAGRAPHS_KEY = "wirewatch_paragraphs"


def own_forces(span: Span) -> bool:
    """ "its troops", "their forces": the source's own people, not a target."""
    return any(c.dep_ == "poss" and c.lower_ in ("its", "their", "his", "her", "our") for c in span.root.children)


def under_background(token: Token, top: Token) -> bool:
    """True when a background clause (see `background_level`) lies between `token` and `top`."""
    node = token
    for _ in range(12):
        if node.i == top.i or node.head.i == node.i:
            return False
        if node.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ in BACKGROUND_MARKS for c in node.children):
            return True
        if node.dep_ == "relcl" or (node.dep_ == "prep" and node.lower_ in BACKGROUND_PREPS | {"according"}):
            return True
        node = node.head
    return False


def is_speaker(token: Token) -> bool:
    """The subject of a speech verb ("..., officials said"), or the object of "according to"."""
    node = token
    while node.dep_ in ("compound", "amod", "poss", "conj", "appos", "nmod") and node.head.i != node.i:
        node = node.head
    if node.dep_ == "nsubj" and node.head.lemma_.lower() in SPEECH_VERBS:
        return True
    return node.dep_ == "pobj" and node.head.lower_ == "to" and node.head.head.lower_ == "according"


def background_level(token: Token) -> int:
    """1 when the trigger sits in a clause that only sets the scene for the sentence's main
    statement: a conditional or temporal clause ("unless X agrees", "after clashes"), a
    relative clause ("the curfew imposed after ..."), the object of "after", "during",
    "because of" ("after five days of fighting"), or what somebody is accused of ("accused
    the army of killing civilians"); else 0."""
    node = token
    for _ in range(12):
        if node.head.i == node.i:
            return 0
        if node.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ in BACKGROUND_MARKS for c in node.children):
            return 1
        if node.dep_ == "relcl" or (node.dep_ == "acl" and node.i != token.i):
            return 1
        if node.dep_ in ("pobj", "pcomp") and node.head.lower_ in BACKGROUND_PREPS:
            return 1
        if node.dep_ in ("pobj", "pcomp") and node.head.lower_ in ("of", "with") \
                and node.head.head.lemma_.lower() in ACCUSATION_VERBS:
            return 1  # "accused the army of killing civilians": the accusation is the act
        if node.dep_ in ("acl", "ccomp", "relcl") and node.head.pos_ == "NOUN" and node.head.lemma_.lower() in CLAIM_NOUNS:
            return 1  # "an investigation into allegations that officers tortured detainees"
        if node.dep_ == "prep" and node.lower_ in BACKGROUND_PREPS and node.i != token.i:
            return 1
        node = node.head
    return 0


def condition(token: Token | None) -> Token | None:
    """The "unless ..." or "if ..." clause a statement (or its complement) depends on."""
    if token is None:
        return None
    for child in token.subtree:
        if child.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ in ("unless", "if") for c in child.children):
            return child
    return None


def controller_object(token: Token) -> Token | None:
    """The object of the verb that sets a trigger going: "ordered the newspaper to suspend
    publication", "summoned the ambassador to complain" -> the newspaper, the ambassador."""
    node = token
    if node.pos_ == "NOUN" and node.dep_ == "dobj":
        node = node.head
    if node.dep_ == "advcl" and node.tag_ == "VBG":
        return None  # "fired rockets, killing 50": the rockets are the means, not the one acted on
    if node.dep_ in ("xcomp", "advcl", "ccomp") and node.head.pos_ == "VERB" and not any(
            c.dep_ in ("nsubj", "nsubjpass") for c in node.children):
        return first_child(list(node.head.children), "dobj")
    return None


def obligation_clause(token: Token) -> Token | None:
    """The complement clause of a speech verb stating what someone else must or should do.

    A pledge is no demand: "the coalition must and will deny IS safe haven" commits the
    speaker's side, and "we must" obliges the speaker."""
    for child in token.children:
        if child.dep_ not in ("ccomp", "xcomp"):
            continue
        auxiliaries = {c.lower_ for c in child.children if c.dep_ == "aux"}
        subject = first_child(list(child.children), "nsubj")
        if auxiliaries & OBLIGATION_AUX and not auxiliaries & PLEDGE_AUX and (
                subject is None or subject.lower_ not in FIRST_PERSON):
            return child
    return None


def negated(token: Token) -> bool:
    if any(c.dep_ == "neg" for c in token.children):
        return True
    if any(c.dep_ == "det" and c.lower_ == "no" for c in token.children):
        return True  # "police made no arrests"
    if any(c.dep_ in ("nsubjpass", "dobj") and any(g.dep_ == "det" and g.lower_ == "no" for g in c.children)
           for c in token.children):
        return True  # "no shots were fired", "fired no shots"
    if token.dep_ in ("xcomp",) and any(c.dep_ == "neg" for c in token.head.children):
        return True
    return any(c.lemma_.lower() in ("fail",) for c in [token.head] if token.dep_ == "xcomp")


def governor(token: Token) -> Token | None:
    """A threatening or refusing verb the trigger is the complement of."""
    node = token
    for _ in range(3):
        if node.dep_ not in ("xcomp", "ccomp", "dobj", "pobj", "prep") or node.head.i == node.i:
            return None
        node = node.head
        if node.lemma_.lower() in THREAT_GOVERNORS | {"refuse", "deny", "reject"}:
            return node
    return None


def future(token: Token) -> bool:
    """Stated as intent: "will/would X", or the complement of "plan/attempt/ready to"."""
    node = token
    for _ in range(3):
        if any(c.dep_ == "aux" and c.lower_ in FUTURE_AUX for c in node.children):
            return True
        if node.dep_ != "xcomp" or node.head.i == node.i:
            return False
        if node.head.lemma_.lower() in ("plan", "intend", "prepare", "ready", "willing", "attempt", "try", "seek"):
            return True
        node = node.head
    return False


def in_quotes(token: Token) -> bool:
    """True when an odd number of quotation marks precede the token in its sentence."""
    sent = token.sent
    marks = sum(1 for t in sent.doc[sent.start: token.i] if t.text in ('"', "“", "”"))
    return marks % 2 == 1


def threat_mode(etype: str, mode: str | None) -> str | None:
    if etype in ("ASSAULT", "FIGHT"):
        return "violence"
    if etype in ("COERCE", "PROTEST"):
        return "curfew" if mode == "curfew" else "restrict"
    if etype == "SANCTION":
        return "relations"
    return None


def passive_agent(token: Token) -> Token | None:
    """The "by" agent of a passive verb, or of a participle modifying a noun trigger."""
    for child in token.children:
        if child.dep_ == "agent" or (child.dep_ == "prep" and child.lower_ == "by"):
            pobj = first_child(list(child.children), "pobj")
            if pobj is not None:
                return pobj
        if child.dep_ == "acl":  # "a bombing carried out by IS"
            found = passive_agent(child)
            if found is not None:
                return found
    return None


FLIGHT_VERBS = {"flee", "escape", "evacuate"}


def fled_from(token: Token) -> bool:
    """The object of fleeing: "fled the fighting", "escaped from the shelling"."""
    verb = token.head.head if token.dep_ == "pobj" else token.head if token.dep_ == "dobj" else None
    return verb is not None and verb.lemma_.lower() in FLIGHT_VERBS


def forecast(token: Token) -> bool:
    """A quoted future act whose doer is a third person ("they will attempt to conduct
    attacks", the spokesman said): the speaker's prediction about others, no threat of theirs."""
    verb = token.head if token.pos_ == "NOUN" else token
    for _ in range(3):
        subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subject is not None:
            return (subject.lower_ in ("they", "he", "she", "it") and in_quotes(token)
                    and speaker_of(token) is not None)
        if verb.dep_ not in ("xcomp", "conj", "advcl") or verb.head.i == verb.i:
            return False
        verb = verb.head
    return False


def elided_passive(token: Token) -> bool:
    """A participle coordinated with a passive verb, its auxiliary left out: "civilians
    were killed and dozens wounded"."""
    return (token.tag_ == "VBN" and token.dep_ == "conj"
            and not any(c.dep_ in ("aux", "auxpass") for c in token.children)
            and any(c.dep_ == "auxpass" for c in token.head.children))


def phrase_verb(token: Token) -> Token | None:
    """The verb a noun trigger's phrase is the object or complement of: "were declared
    persona non grata", "was branded a terrorist group"."""
    node = token
    for _ in range(3):
        if node.dep_ not in ("dobj", "oprd", "compound", "attr", "appos") or node.head.i == node.i:
            return None
        node = node.head
        if node.pos_ == "VERB":
            return node
    return None


def by_phrase(verb: Token) -> Token | None:
    """The "by" agent of a passive verb's phrase, on the verb, on its complement ("declared
    persona non grata by Russia") or on its prepositional object ("charged with sedition by
    the police"): at most three steps down, nearest first."""
    frontier = [verb]
    for _ in range(3):
        below = []
        for node in frontier:
            for child in node.children:
                if child.dep_ in ("prep", "agent") and child.lower_ == "by":
                    pobj = first_child(list(child.children), "pobj")
                    if pobj is not None:
                        return pobj
                if child.dep_ in ("dobj", "oprd", "attr", "prep", "pobj"):
                    below.append(child)
        frontier = below
    return None


def noun_source(token: Token) -> Token | None:
    """The doer of a noun trigger: "IS's attack", "an IS car bombing"."""
    for child in token.children:
        if child.dep_ == "poss" and child.pos_ != "PRON":  # "its demand" is the clause subject's
            return child
    for child in token.lefts:
        if child.dep_ in ("compound", "nmod", "amod") and child.ent_type_ in ("ORG", "NORP", "GPE", "PERSON"):
            return child
    return None


def prep_object(token: Token, preps: tuple[str, ...]) -> Token | None:
    for child in token.children:
        if child.dep_ in ("prep", "dative") and child.lower_ in preps:
            pobj = first_child(list(child.children), "pobj")
            if pobj is not None and not pobj.ent_type_ == "DATE":
                return pobj
    return None


def owners_of(token: Token | None) -> list[Token]:
    """Who a non-actor phrase belongs to: "the deployment of NATO troops", "Turkey's efforts"."""
    if token is None:
        return []
    out = [c for c in token.children if c.dep_ == "poss"]
    out += [g for c in token.children if c.dep_ == "prep" and c.lower_ in ("of", "by", "from")
            for g in c.children if g.dep_ == "pobj"]
    out += [c for c in token.lefts if c.dep_ in ("compound", "nmod") and c.ent_type_]
    # "a law passed by El Salvador's Congress": a thing belongs to whoever made it
    out += [a for c in token.children if c.dep_ == "acl" and c.tag_ == "VBN" and (a := passive_agent(c)) is not None]
    return out


def target_fallbacks(token: Token, obj: Token | None) -> list[Token]:
    """Where a target hides when the object is a thing: recipients, owners, complements."""
    out: list[Token] = []
    if obj is not None:
        out += owners_of(obj)
        out += [g for c in obj.children if c.dep_ == "prep" and c.lower_ in ("to", "for", "with", "against", "on", "in")
                for g in c.children if g.dep_ == "pobj"]
    out += [c for c in token.children if c.dep_ == "dative" and c.pos_ != "ADP"]
    objects = [g for c in token.children if c.dep_ in ("prep", "dative")
               and c.lower_ in ("to", "for", "with", "against", "on", "in", "into", "at", "from", "toward", "towards",
                                "behind")
               for g in c.children if g.dep_ == "pobj"]
    # "a probe into the broadcaster's finances", "threw its weight behind the coalition's candidate"
    out += objects + [owner for g in objects for owner in owners_of(g) if owner.dep_ == "poss"]
    embedded = embedded_target(token)
    if embedded is not None:
        out.append(embedded)
    for child in token.children:
        if child.dep_ in ("xcomp", "ccomp", "advcl"):
            kid_obj = first_child(list(child.children), "dobj")
            out += [c for c in child.children if c.dep_ in ("dobj", "dative")]
            out += target_fallbacks(child, kid_obj)[:4] if kid_obj is not None else []
    return out


def coordinated_head(token: Token) -> Token:
    """The verb a coordinated verb is really coordinated with. The parser often hangs a
    second past-tense verb on the last verb before it: in "denied that the group was
    obstructing aid and accused the army", "accused" is parsed as the conjunct of
    "obstructing"; a past-tense conjunct of a verb of another form belongs with the nearest
    past-tense verb above it ("denied")."""
    head = token.head
    # "had been targeted and accused X of ...": a participle with an object of its own is no
    # passive, but a past tense the tagger read as one
    past = token.tag_ == "VBD" or token.tag_ == "VBN" and any(c.dep_ == "dobj" for c in token.children) \
        and not any(c.dep_ in ("aux", "auxpass") for c in token.children)
    if token.dep_ != "conj" or not past or head.tag_ == "VBD" or head.pos_ not in ("VERB", "AUX"):
        return head
    return next((a for a in head.ancestors if a.tag_ == "VBD" and a.pos_ == "VERB"), head)


def inherited_subject(token: Token) -> Token | None:
    """The subject an infinitive or coordinated verb shares with its head verb."""
    node = token
    for _ in range(3):
        if node.dep_ not in ("xcomp", "conj", "advcl", "ccomp", "acomp") or node.head.i == node.i:
            return None
        if node.dep_ == "ccomp" and node.head.lemma_.lower() in SPEECH_VERBS:
            return None  # "X was put under investigation, the agency reported": not the agency's act
        node = coordinated_head(node)
        subj = first_child(list(node.children), "nsubj")
        if subj is not None:
            return subj
        subjpass = first_child(list(node.children), "nsubjpass")
        if subjpass is not None and node.dep_ != "conj":
            return None
    return None


def clause_subjects(token: Token) -> list[Token]:
    """Subjects of the verbs a trigger hangs from, nearest first, up to a speech verb:
    "issued a declaration demanding ..." gives the issuer; "officials said fighting ..."
    does not give the officials."""
    out: list[Token] = []
    node = token
    for _ in range(5):
        if node.head.i == node.i:
            break
        node = node.head
        if node.lemma_.lower() in SPEECH_VERBS:
            break
        if node.pos_ in ("VERB", "AUX"):
            out += [c for c in node.children if c.dep_ == "nsubj"]
            if node.dep_ == "acl" and (node.tag_ != "VBN" or swallowed_clause(node.head)):
                out.append(node.head)  # "youths resorted to throwing", parsed as a noun phrase
    return out


def swallowed_clause(noun: Token) -> bool:
    """True when the parse has folded a whole clause into a noun phrase: the noun is the
    sentence's root ("An official newspaper called on Arabs to ..."), or one of two subjects
    of one verb ("Youths resorted to ..., officials said"). Its participle is then the
    main verb, and the noun its subject."""
    if noun.dep_ in ("ROOT", "dep"):  # "dep": attached to the speech verb with no relation at all
        return noun.pos_ in ("NOUN", "PROPN")
    return noun.dep_ == "nsubj" and sum(c.dep_ in ("nsubj", "nsubjpass") for c in noun.head.children) > 1


def embedded_target(token: Token) -> Token | None:
    """The target inside a complement: "demanded that the US cancel", "threatened to ban X"."""
    for child in token.children:
        if child.dep_ in ("ccomp", "xcomp"):
            subj = first_child(list(child.children), "nsubj")
            if subj is not None and child.dep_ == "ccomp":
                return subj
            recipient = prep_object(child, ("to",)) if child.lemma_.lower() in GIVING_VERBS else None
            if recipient is not None:
                return recipient  # "ready to contribute troops to a force in Liberia": the troops are its own
            obj = first_child(list(child.children), "dobj")
            if obj is not None:
                return obj
            pobj = prep_object(child, ("against", "with", "on", "to", "in", "from"))
            if pobj is not None:
                return pobj
    return None


def attribution(token: Token) -> Token | None:
    """Who a trigger's statement is attributed to: the subject of the speech verb it is
    reported under ("'...,' said Rami Abdel Rahman", "officials said Tuesday") or the
    object of "according to"; None for the narrator's own statements."""
    node = token
    for _ in range(6):
        if node.lemma_.lower() in SPEECH_VERBS and node.pos_ in ("VERB", "AUX"):
            found = first_child(list(node.children), "nsubj")
            if found is not None and found.pos_ != "PRON":
                return found
        for child in node.children:
            if child.dep_ == "prep" and child.lower_ == "according":
                to = next((c for c in child.children if c.lower_ == "to"), None)
                pobj = first_child(list(to.children), "pobj") if to is not None else None
                if pobj is not None:
                    return pobj
        if node.head.i == node.i:
            break
        node = node.head
    return None


def speaker_of(token: Token) -> Token | None:
    """Subject of the speech verb a trigger is reported under ("Iraq said it would")."""
    node = token
    for _ in range(6):  # "X was quoted as saying he would be ready to": six steps up
        if node.head.i == node.i:
            return None
        node = node.head
        if node.lemma_.lower() in SPEECH_VERBS:
            found = first_child(list(node.children), "nsubj")
            if found is not None:
                return found
            quoted = first_child(list(node.children), "nsubjpass")  # "X was quoted as saying he ..."
            if quoted is not None and node.lemma_.lower() == "quote":
                return quoted
    return None


def tree_distance(a: Token, b: Token) -> int:
    path_a = [a] + list(a.ancestors)
    ids_a = {t.i: n for n, t in enumerate(path_a)}
    for n, t in enumerate([b] + list(b.ancestors)):
        if t.i in ids_a:
            return n + ids_a[t.i]
    return 99


def paragraphs(sents: list[Span]) -> dict[int, list[Span]]:
    """Sentence start -> the sentences of its paragraph (text between line breaks), built once
    per document: `Span.sents` rescans the document on every call."""
    out: dict[int, list[Span]] = {}
    current: list[Span] = []
    for sent in sents:
        # sentences are contiguous: what follows the last one's words up to this one is its tail
        last = current[-1].text_with_ws if current else ""
        if current and "\n" in last[len(last.rstrip()):]:
            current = []
        current.append(sent)
        out[sent.start] = current
    return out


def paragraph_sentences(sent: Span) -> list[Span]:
    """The sentences of the paragraph holding `sent`, from the document's cache when `read` built it."""
    cached = sent.doc.user_data.get(PARAGRAPHS_KEY)
    if cached is None or sent.start not in cached:
        cached = paragraphs(list(sent.doc.sents))
    return cached.get(sent.start, [sent])
