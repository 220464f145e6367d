"""What the codebook says is not an event, read from a trigger's parse.

The coding rules (`docevents/CODEBOOK.md` in the development sets, PLOVER's own) name the
texts a keyword coder mistakes for events: accidents and nature ("a bridge collapse, a
plane crash with no attacker"), sport and games, commerce and technology, metaphors ("a
price war", "the campaign is under fire"). A trigger word in one of these frames reports
no event of its type, whatever the document around it: "killed in a crane collapse",
"fought back to win the final", "shot her costume", "shell companies", "the rocket lifted
off", "fought to acquire a painting", "stepped down after the election".

Each check reads the trigger's own dependents and clause (and cue words of its sentence:
attackers, games, cameras, pressure, a question mark), so it holds on text nobody tuned it
to; the word lists follow the codebook's categories, not any coded sentence. A check gives way where the sentence also speaks of
violence ("killed when gunmen stormed the stadium"), of a riot or of pressure.

`excluded(token, etype, cues)` answers with the reason (one of `REASONS`) or None; the
reader drops the trigger and the gate sees the reason as a feature. `SentenceCues.of(sent)`
reads the sentence's words once, whatever the number of triggers in it, so a run-on
"sentence" of broken markup costs time in proportion to its length.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Span, Token

from pipeline.nlp import clauses

REASONS = ("accident", "sport", "film", "commerce", "metaphor", "routine", "question", "habitual", "hypothetical")

# Accidents, nature and illness: causes of death with no attacker
ACCIDENT_CAUSES = frozenset("""
accident collapse crash stampede crush fire blaze inferno wildfire flood flooding storm earthquake quake
landslide mudslide avalanche hurricane typhoon cyclone tornado tsunami drought heatwave outbreak
epidemic pandemic disease virus illness cancer infection covid coronavirus cholera malaria flu derailment
capsize capsizing collision sinking shipwreck eruption lightning rain rainfall snow snowstorm blizzard wind
overdose drowning electrocution leak poisoning famine starvation disaster pileup
""".split())
ACCIDENT_VERBS = frozenset("collapse crash capsize sink derail erupt flood overturn topple plunge burn".split())
# "a gas explosion", "a mine blast" (with miners): an industrial accident, not a bomb
INDUSTRIAL = frozenset("gas boiler coal factory chemical fireworks firework methane pipeline tanker plant refinery "
                       "reactor cylinder dust furnace mining".split())
# an attacker in the sentence: the deaths may be his ("killed when gunmen stormed the mine")
ATTACK_CUES = frozenset("""
gunman gunmen attacker assailant militant insurgent rebel terrorist bomber bomb bombing suicide airstrike
shelling shell rocket missile gunfire gun arson arsonist sniper attack ambush militia jihadist shoot
stab massacre grenade mortar drone sabotage
""".split())
# an armed actor in the sentence: "troops fought to retake the town" is no metaphor
VIOLENCE_CUES = ATTACK_CUES | frozenset("troops soldier army force fighter guerrilla police".split())
# the game words of a trigger list: a killing at a match is still a killing
SPORT_TRIGGERS = frozenset("fight fighting battle clash attack beat crush defeat shoot strike storm capture seize "
                           "pound hammer thrash rout hit combat ambush knock".split())
DEATH_TRIGGERS = frozenset("kill die dead death injure wound explosion blast explode".split())

SPORT_CUES = frozenset("""
league championship tournament playoff semifinal quarterfinal final striker goalkeeper midfielder
referee halftime touchdown quarterback innings wicket esports chess olympics medal scoreline fixture
footballer cricketer match cup grandmaster champion challenger season rider cyclist boxer knockout
""".split())
RIOT_CUES = frozenset("fan supporter hooligan police riot gas arrest injure stab violence fighting clash".split())

FILM_OBJECTS = frozenset("""
film movie scene video footage photo photograph picture episode commercial documentary portrait costume
advert advertisement series pilot sequence clip image selfie photoshoot music fashion cover
""".split())
FILM_CUES = frozenset("photographer director filmmaker cinematographer camera studio filming photoshoot "
                      "actress actor model".split())
FIREARM_CUES = frozenset("gun gunman gunmen bullet rifle pistol wound kill dead injure police victim "
                         "fire shooter gunfire".split())

# "killed off the visitors' hopes", "attacked the budget" is no violence to anyone
ABSTRACT_TARGETS = frozenset("""
hope chance deal bill idea plan proposal momentum project budget policy agreement reform prospect mood
rally talk
""".split())

BUSINESS_HEADS = frozenset("company companies firm corporation account entity structure bank".split())

FIGURATIVE_MODIFIERS = frozenset("""
legal court political uphill electoral ideological bureaucratic custody price trade culture verbal bidding
ratings public legislative budget regulatory courtroom procedural fare pricing patent streaming console
""".split())
ABSTRACT_FOES = frozenset("""
cancer disease corruption poverty crime inflation climate change covid virus pandemic addiction illness
blaze wildfire flame fire hunger obesity injustice discrimination racism misinformation disinformation
fake unemployment odds tax traffic urge temptation depression infection trafficking smuggling terrorism
extremism fraud laundering poaching piracy
extradition deportation eviction charge lawsuit conviction sentence ruling allegation accusation claim
bankruptcy takeover ban
""".split())
CAUSES = frozenset("""
right justice vote survival life freedom equality recognition compensation seat place title custody
nomination support funding change reform access attention investment market share contract
""".split())
FIGHT_WORDS = frozenset("fight fighting battle combat struggle war clash".split())
DURATION_PREPS = frozenset("since over during throughout".split())

HABITUAL_ADVERBS = frozenset("often usually routinely regularly frequently sometimes always habitually typically "
                             "generally traditionally customarily".split())
# "could strike", "is expected to meet": what may happen; a threat ("warned it could strike") is read elsewhere
EPISTEMIC_AUX = frozenset("could might may".split())
EXPECTATIONS = frozenset("expect hope consider likely unlikely possible".split())
# "has retained its capacity to carry out bombings", "the right to protest": what can be done
CAPABILITIES = frozenset("capacity ability capability potential right freedom means".split())

DEPARTURES = frozenset("resign step retire quit".split())
PRESSURE_CUES = frozenset("""
protest protester demonstrator demonstration pressure demand threaten threat opposition force forced
ultimatum uprising ouster oust coup revolt rebellion impeachment impeach boycott rally
""".split())
# a head of state's or an army's leader's departure is politics, not a career move
RULERS = frozenset("president premier general gen. lt. king queen dictator junta ruler emir monarch sultan "
                   "strongman".split())


@dataclass(frozen=True, slots=True)
class SentenceCues:
    """What the checks read of a whole sentence: its lemmas, its game words, whether it asks,
    whether it names a span of time ("since 1996", "over the past decade")."""

    lemmas: frozenset[str]
    sport: frozenset[str]
    question: bool
    span_of_time: bool

    @classmethod
    def of(cls, sent: Span) -> "SentenceCues":
        lemmas = frozenset(t.lemma_.lower() for t in sent)
        # "the final", not "a final report"
        sport = frozenset(t.lemma_.lower() for t in sent if t.pos_ in ("NOUN", "PROPN") or t.lemma_.lower() == "final"
                          and t.head.pos_ not in ("NOUN", "PROPN")) & SPORT_CUES
        span_of_time = any(t.dep_ == "pobj" and t.ent_type_ == "DATE" and t.head.lower_ in DURATION_PREPS for t in sent)
        return cls(lemmas, sport, sent.text.rstrip().rstrip("\"'”’ ").endswith("?"), span_of_time)


def excluded(token: Token, etype: str, cues: SentenceCues | None = None) -> str | None:
    """Why the codebook says `token`, a trigger of type `etype`, reports no event; else None.
    `cues`: the sentence's, read once for all its triggers (read here when not given)."""
    cues = cues if cues is not None else SentenceCues.of(token.sent)
    lemma = token.lemma_.lower()
    sent_lemmas = cues.lemmas
    if etype in ("ASSAULT", "FIGHT") and (lemma in DEATH_TRIGGERS and _accident(token, sent_lemmas)
                                          or token.pos_ == "NOUN" and lemma in ACCIDENT_CAUSES
                                          and token.head.lemma_.lower() != "open" and not sent_lemmas & ATTACK_CUES):
        return "accident"  # "killed in a crane collapse"; "a storm" is no storming
    if etype in ("ASSAULT", "FIGHT", "PROTEST") and lemma in SPORT_TRIGGERS and _sport(cues, token):
        return "sport"
    if etype == "ASSAULT" and lemma in ("shoot", "shooting", "shot") and _film(token, sent_lemmas):
        return "film"
    if _commerce(token, lemma):
        return "commerce"
    if etype in ("FIGHT", "ASSAULT") and lemma in FIGHT_WORDS and not sent_lemmas & VIOLENCE_CUES and _figurative(token):
        return "metaphor"
    if cues.question:
        return "question"  # "Did the army shell the hospital?"
    if _habitual(token):
        return "habitual"
    if _hypothetical(token):
        return "hypothetical"
    if etype == "ASSAULT" and lemma in ("kill", "take", "hold") and _abstract_victim(token):
        return "metaphor"
    if etype == "RETREAT" and lemma in DEPARTURES and _routine(token, sent_lemmas):
        return "routine"
    if token.pos_ == "NOUN" and clauses.fled_from(token):
        return "displacement"  # "350,000 people have fled the fighting": who fled, not who fought
    if lemma == "ask" and _asks_a_question(token) or _topic_of_a_question(token):
        return "question"  # "Asked about the talks, she sighed": a reporter's question and its topic
    if lemma in ("kill", "die") and cues.span_of_time and any(c.dep_ == "aux" and c.lemma_ == "have" for c in token.children):
        # a perfect-tense toll over a span of time the sentence names, wherever the span hangs:
        # "over 13,000 people have been killed since 1996": a toll, not an event
        return "cumulative"
    if _imperative(token):
        return "instruction"  # "Beat the eggs with the sugar": a recipe's step, nobody's act
    if _describes_speaker(token):
        return "description"  # "a coalition supporting the offensive said ...": who the speaker is
    return None


WH_WORDS = frozenset("why whether if how what when where who which".split())


def _asks_a_question(token: Token) -> bool:
    """ "Asked about X", "asked why ...", "asked whether ...": a question put, not a demand."""
    if any(c.dep_ == "prep" and c.lower_ == "about" for c in token.children):
        return True
    return any(c.dep_ in ("ccomp", "advcl", "xcomp") and any(
        g.dep_ in ("mark", "advmod", "nsubj", "dobj") and g.lower_ in WH_WORDS and g.i < c.i for g in c.children)
        for c in token.children)


def _topic_of_a_question(token: Token) -> bool:
    """ "the talks" in "Asked about the talks"."""
    return token.dep_ == "pobj" and token.head.lower_ == "about" and token.head.head.lemma_.lower() == "ask"


def _imperative(token: Token) -> bool:
    """A bare verb opening its sentence with no subject ("Beat the eggs", "Fold in the
    flour"), or coordinated with one: an instruction. Headlines ("Police arrest 12") have one."""
    verb = token
    while verb.dep_ == "conj" and verb.head.i != verb.i:
        verb = verb.head
    if verb.tag_ != "VB" or verb.dep_ != "ROOT" or any(c.dep_ in ("nsubj", "nsubjpass", "aux", "expl") for c in verb.children):
        return False
    first = next((t for t in verb.sent if not t.is_punct and t.dep_ not in ("advmod", "intj")), None)
    return first is not None and first.i == verb.i


def _describes_speaker(token: Token) -> bool:
    """The trigger is in a participle describing who speaks ("a coalition supporting the
    offensive said"), the trigger itself or its object."""
    node = token
    for _ in range(2):
        if node.dep_ == "acl" and node.tag_ == "VBG":
            return node.head.dep_ == "nsubj" and node.head.head.lemma_.lower() in clauses.SPEECH_VERBS
        if node.dep_ != "dobj":
            return False
        node = node.head
    return False


def _accident(token: Token, sent_lemmas: frozenset[str]) -> bool:
    """ "killed in a crane collapse", "died when the bridge collapsed", "a storm killed 12",
    "a gas explosion": deaths with a cause and no attacker."""
    if sent_lemmas & ATTACK_CUES:
        return False
    if token.dep_ == "advcl" and _accident_clause(token.head):
        return True  # "the plane crashed in bad weather, killing all 19 on board"
    causes = [c for c in token.children if c.dep_ in ("nsubj", "nsubjpass", "agent", "prep", "advcl", "compound")]
    heads: list[Token] = []
    for child in causes:
        if child.dep_ in ("prep", "agent"):
            heads += [g for g in child.children if g.dep_ == "pobj"]
        elif child.dep_ == "advcl":
            if child.lemma_.lower() in ACCIDENT_VERBS:
                return True
            heads += [g for g in child.children if g.dep_ in ("nsubj", "nsubjpass")]
        else:
            heads.append(child)
    if token.dep_ in ("nsubj", "pobj") and token.pos_ == "NOUN":
        heads.append(token)  # "the explosion at a coal mine"
    for head in heads:
        words = {head.lemma_.lower()} | {c.lemma_.lower() for c in head.children if c.dep_ in ("compound", "amod")}
        if head.lemma_.lower() in ACCIDENT_CAUSES:
            return True
        if head.lemma_.lower() in ("explosion", "blast", "fire") and words & INDUSTRIAL:
            return True
        if head.lemma_.lower() in ("explosion", "blast") and "mine" in words and sent_lemmas & {"miner", "mining", "coal"}:
            return True
    return False


def _accident_clause(verb: Token) -> bool:
    """ "a plane crashed", "an earthquake flattened homes": the clause tells of an accident."""
    if verb.lemma_.lower() in ACCIDENT_VERBS:
        return True
    return any(c.dep_ in ("nsubj", "nsubjpass") and c.lemma_.lower() in ACCIDENT_CAUSES for c in verb.children)


def _sport(cues: SentenceCues, token: Token) -> bool:
    """ "fought back to win the final", "crushed City in the league": a game, unless its fans riot."""
    return bool(cues.sport) and not cues.lemmas & RIOT_CUES - {token.lemma_.lower()}


def _film(token: Token, sent_lemmas: frozenset[str]) -> bool:
    """ "came to shoot her costume", "a photo shoot": a camera's shot."""
    if sent_lemmas & FIREARM_CUES:
        return False
    near = {c.lemma_.lower() for c in token.children} | {token.head.lemma_.lower()}
    near |= {g.lemma_.lower() for c in token.children if c.dep_ in ("dobj", "prep", "compound") for g in c.children}
    return bool(near & FILM_OBJECTS or sent_lemmas & FILM_CUES)


def _commerce(token: Token, lemma: str) -> bool:
    """ "shell companies", "the rocket lifted off"."""
    if lemma == "shell" and (token.dep_ == "compound" and token.head.lemma_.lower() in BUSINESS_HEADS
                             or any(c.lemma_.lower() in BUSINESS_HEADS for c in token.children if c.dep_ == "compound")):
        return True
    return lemma == "lift" and any(c.dep_ == "prt" and c.lower_ == "off" for c in token.children)


def _figurative(token: Token) -> bool:
    """ "a legal battle", "fought to acquire the painting", "fight corruption", "fight for
    votes": a struggle by other means than arms (the caller has seen no armed actor)."""
    for child in token.children:
        word = child.lemma_.lower()
        if child.dep_ in ("amod", "compound") and word in FIGURATIVE_MODIFIERS:
            return True
        if child.dep_ == "xcomp" and child.pos_ in ("VERB", "AUX"):
            return True  # "fought to acquire", "battling to save"
        if child.dep_ == "dobj" and (word in ABSTRACT_FOES or any(
                g.dep_ in ("amod", "compound") and g.lemma_.lower() in FIGURATIVE_MODIFIERS for g in child.children)):
            return True  # "fight corruption", "fought a price war"
        if child.dep_ == "prep":
            objects = {g.lemma_.lower() for g in child.children if g.dep_ == "pobj"}
            if child.lower_ in ("against", "with") and objects & ABSTRACT_FOES:
                return True
            if child.lower_ == "for" and objects & CAUSES:
                return True
    return token.lemma_.lower() == "fight" and any(c.dep_ in ("prt", "advmod") and c.lower_ == "back" for c in token.children) \
        and any(c.dep_ in ("advcl", "xcomp") and c.lemma_.lower() in ("win", "beat", "draw", "level") for c in token.children)


def _routine(token: Token, sent_lemmas: frozenset[str]) -> bool:
    """ "stepped down after the election", "resigned as chief executive": a career move, not
    a concession, unless pressure, a ruler or a demand ("must resign", "agrees to step
    down": the demand or the promise is the event, read elsewhere) makes it one."""
    if sent_lemmas & PRESSURE_CUES or token.dep_ not in ("ROOT", "conj"):
        return False
    if any(c.dep_ == "aux" and c.lemma_.lower() in ("must", "will", "would", "should", "could", "may", "might")
           for c in token.children):
        return False
    subject = next((c for c in token.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    return subject is None or not {t.lower_ for t in subject.subtree} & RULERS


def _abstract_victim(token: Token) -> bool:
    """ "a late goal killed off their hopes", "the senate killed the bill", "took the budget hostage"."""
    if any(c.dep_ in ("prt", "prep", "advmod") and c.lower_ == "off" for c in token.children):
        return True
    return any(c.dep_ in ("dobj", "nsubjpass") and ({c.lemma_.lower()} | {g.lemma_.lower() for g in c.children
                                                                       if g.dep_ == "compound"}) & ABSTRACT_TARGETS
               for c in token.children)


def _clause_verb(token: Token) -> Token:
    """The verb a noun trigger is the object of ("often detain journalists", "held talks"), else the trigger."""
    if token.pos_ in ("NOUN", "PROPN") and token.dep_ in ("dobj", "attr") and token.head.pos_ in ("VERB", "AUX"):
        return token.head
    return token


def _habitual(token: Token) -> bool:
    """ "security forces often detain journalists", "every year thousands march": a habit, not an event."""
    verb = _clause_verb(token)
    # "every year thousands march ... to demand justice": the habit spans the purpose clause
    children = list(verb.children) + (list(verb.head.children) if verb.dep_ in ("advcl", "xcomp", "conj") else [])
    for child in children:
        if child.dep_ == "advmod" and child.lemma_.lower() in HABITUAL_ADVERBS:
            return True
        if child.dep_ == "advmod" and child.lower_ == "long" and not list(child.children) and any(
                c.dep_ == "aux" and c.lemma_.lower() == "have" for c in verb.children):
            return True  # "the group has long used car bombs", not "as long as it keeps"
        if child.dep_ == "npadvmod" and any(g.lower_ in ("every", "each") for g in child.children):
            return True
    return False


def _hypothetical(token: Token) -> bool:
    """ "rebels could strike again", "ministers are expected to meet", "if the talks go
    well", "its capacity to carry out bombings": a possibility or a supposition, unless
    somebody threatens it ("warned it could strike": a THREATEN, read by the rules)."""
    verb = _clause_verb(token)
    if clauses.governor(verb) is not None:
        return False
    node = token
    for _ in range(4):  # "... if the talks go well": what a condition supposes has not happened
        if node.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ in ("if", "unless") for c in node.children):
            return True
        if node.head.i == node.i:
            break
        node = node.head
    if any(c.dep_ == "aux" and c.lower_ in EPISTEMIC_AUX for c in verb.children):
        return True
    clause = verb
    while clause.dep_ == "conj" and clause.head.i != clause.i:
        clause = clause.head  # "its capacity to carry out bombings ... and to inspire attacks"
    if clause.dep_ in ("acl", "xcomp") and clause.head.lemma_.lower() in CAPABILITIES:
        return True
    return verb.dep_ in ("xcomp", "ccomp") and verb.head.lemma_.lower() in EXPECTATIONS
