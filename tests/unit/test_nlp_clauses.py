"""Clause helpers of the event reader (`pipeline.nlp.clauses`) on written-down parses.

Negation, modality (future, threat and refusal governors, conditions), quotation and
attribution, background clauses, passive agents and the subjects and targets a trigger
inherits: each helper reads only the parse, so each case is a sentence of the end-to-end
tests (`tests/nlp_model/test_nlp_model_rules.py`, `test_nlp_model_events.py`) with the
parse the model gave it written down (see `tests/nlp_docs.py`), and runs with no model.
The helpers are called through their module, the one place to follow a rename.
"""

from __future__ import annotations

from functools import cache

import pytest
from spacy.tokens import Doc

from nlp_docs import NOT_ATTACK, parsed, token
from pipeline.nlp import clauses

PARSES = {
    "not_attack": NOT_ATTACK,
    "failed_to": ("The army failed to capture the town.", """
         0 The     DT    DET   the     det       1
         1 army    NN    NOUN  army    nsubj     2
         2 failed  VBD   VERB  fail    ROOT      2
         3 to      TO    PART  to      aux       4
         4 capture VB    VERB  capture xcomp     2
         5 the     DT    DET   the     det       6
         6 town    NN    NOUN  town    dobj      4
         7 .       .     PUNCT .       punct     2
    """),
    "threatened": ("The rebels threatened to attack the convoy.", """
         0 The        DT    DET   the        det       1
         1 rebels     NNS   NOUN  rebel      nsubj     2
         2 threatened VBD   VERB  threaten   ROOT      2
         3 to         TO    PART  to         aux       4
         4 attack     VB    VERB  attack     xcomp     2
         5 the        DT    DET   the        det       6
         6 convoy     NN    NOUN  convoy     dobj      4
         7 .          .     PUNCT .          punct     2
    """),
    "denied": ("The militia denied that it had attacked the convoy.", """
         0 The      DT    DET   the      det       1
         1 militia  NN    NOUN  militia  nsubj     2
         2 denied   VBD   VERB  deny     ROOT      2
         3 that     IN    SCONJ that     mark      6
         4 it       PRP   PRON  it       nsubj     6
         5 had      VBD   AUX   have     aux       6
         6 attacked VBN   VERB  attack   ccomp     2
         7 the      DT    DET   the      det       8
         8 convoy   NN    NOUN  convoy   dobj      6
         9 .        .     PUNCT .        punct     2
    """),
    "unless": ("Ghana said it will withdraw its troops from Mali unless the junta holds elections.", """
         0 Ghana     NNP   PROPN Ghana     nsubj     1 B-GPE
         1 said      VBD   VERB  say       ROOT      1
         2 it        PRP   PRON  it        nsubj     4
         3 will      MD    AUX   will      aux       4
         4 withdraw  VB    VERB  withdraw  ccomp     1
         5 its       PRP$  PRON  its       poss      6
         6 troops    NNS   NOUN  troop     dobj      4
         7 from      IN    ADP   from      prep      4
         8 Mali      NNP   PROPN Mali      pobj      7 B-GPE
         9 unless    IN    SCONJ unless    mark      12
        10 the       DT    DET   the       det       11
        11 junta     NN    NOUN  junta     nsubj     12
        12 holds     VBZ   VERB  hold      advcl     4
        13 elections NNS   NOUN  election  dobj      12
        14 .         .     PUNCT .         punct     1
    """),
    "next_year": ("Ghana said it will withdraw its troops from Mali next year.", """
         0 Ghana    NNP   PROPN Ghana    nsubj     1 B-GPE
         1 said     VBD   VERB  say      ROOT      1
         2 it       PRP   PRON  it       nsubj     4
         3 will     MD    AUX   will     aux       4
         4 withdraw VB    VERB  withdraw ccomp     1
         5 its      PRP$  PRON  its      poss      6
         6 troops   NNS   NOUN  troop    dobj      4
         7 from     IN    ADP   from     prep      4
         8 Mali     NNP   PROPN Mali     pobj      7 B-GPE
         9 next     JJ    ADJ   next     amod      10 B-DATE
        10 year     NN    NOUN  year     npadvmod  4 I-DATE
        11 .        .     PUNCT .        punct     1
    """),
    "quoted": ("\"Troops shelled the village at dawn,\" said Amira Haddad.", """
         0 "       ``    PUNCT "       punct     9
         1 Troops  NNS   NOUN  troop   nsubj     2
         2 shelled VBD   VERB  shell   ccomp     9
         3 the     DT    DET   the     det       4
         4 village NN    NOUN  village dobj      2
         5 at      IN    ADP   at      prep      2
         6 dawn    NN    NOUN  dawn    pobj      5
         7 ,       ,     PUNCT ,       punct     9
         8 "       ''    PUNCT "       punct     9
         9 said    VBD   VERB  say     ROOT      9
        10 Amira   NNP   PROPN Amira   compound  11 B-PERSON
        11 Haddad  NNP   PROPN Haddad  nsubj     9 I-PERSON
        12 .       .     PUNCT .       punct     9
    """),
    "according": ("Rebels shelled the village at dawn, according to the Red Crescent.", """
         0 Rebels    NNPS  PROPN Rebels    nsubj     1
         1 shelled   VBD   VERB  shell     ROOT      1
         2 the       DT    DET   the       det       3
         3 village   NN    NOUN  village   dobj      1
         4 at        IN    ADP   at        prep      1
         5 dawn      NN    NOUN  dawn      pobj      4 B-TIME
         6 ,         ,     PUNCT ,         punct     1
         7 according VBG   VERB  accord    prep      1
         8 to        IN    ADP   to        prep      7
         9 the       DT    DET   the       det       11 B-ORG
        10 Red       NNP   PROPN Red       compound  11 I-ORG
        11 Crescent  NNP   PROPN Crescent  pobj      8 I-ORG
        12 .         .     PUNCT .         punct     1
    """),
    "officials_said": ("Rebels shelled the village at dawn, officials said.", """
         0 Rebels    NNPS  PROPN Rebels    nsubj     1
         1 shelled   VBD   VERB  shell     ccomp     8
         2 the       DT    DET   the       det       3
         3 village   NN    NOUN  village   dobj      1
         4 at        IN    ADP   at        prep      1
         5 dawn      NN    NOUN  dawn      pobj      4 B-TIME
         6 ,         ,     PUNCT ,         punct     8
         7 officials NNS   NOUN  official  nsubj     8
         8 said      VBD   VERB  say       ROOT      8
         9 .         .     PUNCT .         punct     8
    """),
    "narrated": ("Rebels shelled the village at dawn.", """
         0 Rebels  NNPS  PROPN Rebels  nsubj     1
         1 shelled VBD   VERB  shell   ROOT      1
         2 the     DT    DET   the     det       3
         3 village NN    NOUN  village dobj      1
         4 at      IN    ADP   at      prep      1
         5 dawn    NN    NOUN  dawn    pobj      4
         6 .       .     PUNCT .       punct     1
    """),
    "after_clashes": ("The governor lifted the curfew after clashes between the two tribes.", """
         0 The      DT    DET   the      det       1
         1 governor NN    NOUN  governor nsubj     2
         2 lifted   VBD   VERB  lift     ROOT      2
         3 the      DT    DET   the      det       4
         4 curfew   NN    NOUN  curfew   dobj      2
         5 after    IN    ADP   after    prep      2
         6 clashes  NNS   NOUN  clash    pobj      5
         7 between  IN    ADP   between  prep      6
         8 the      DT    DET   the      det       10
         9 two      CD    NUM   two      nummod    10 B-CARDINAL
        10 tribes   NNS   NOUN  tribe    pobj      7
        11 .        .     PUNCT .        punct     2
    """),
    "after_days": ("The army captured the airport on Sunday after days of fighting with rebels.", """
         0 The      DT    DET   the      det       1
         1 army     NN    NOUN  army     nsubj     2
         2 captured VBD   VERB  capture  ROOT      2
         3 the      DT    DET   the      det       4
         4 airport  NN    NOUN  airport  dobj      2
         5 on       IN    ADP   on       prep      2
         6 Sunday   NNP   PROPN Sunday   pobj      5 B-DATE
         7 after    IN    ADP   after    prep      2 I-DATE
         8 days     NNS   NOUN  day      pobj      7 I-DATE
         9 of       IN    ADP   of       prep      8
        10 fighting NN    NOUN  fighting pobj      9
        11 with     IN    ADP   with     prep      10
        12 rebels   NNS   NOUN  rebel    pobj      11
        13 .        .     PUNCT .        punct     2
    """),
    "carried_out_by": ("On Friday, a car bombing carried out by IS killed dozens of people near the market, a monitor said.", """
         0 On      IN    ADP   on      prep      10
         1 Friday  NNP   PROPN Friday  pobj      0 B-DATE
         2 ,       ,     PUNCT ,       punct     10
         3 a       DT    DET   a       det       5
         4 car     NN    NOUN  car     compound  5
         5 bombing NN    NOUN  bombing nsubj     10
         6 carried VBN   VERB  carry   acl       5
         7 out     RP    ADP   out     prt       6
         8 by      IN    ADP   by      agent     6
         9 IS      NNP   PROPN IS      pobj      8 B-ORG
        10 killed  VBD   VERB  kill    ccomp     20
        11 dozens  NNS   NOUN  dozen   dobj      10 B-CARDINAL
        12 of      IN    ADP   of      prep      11
        13 people  NNS   NOUN  people  pobj      12
        14 near    IN    ADP   near    prep      13
        15 the     DT    DET   the     det       16
        16 market  NN    NOUN  market  pobj      14
        17 ,       ,     PUNCT ,       punct     20
        18 a       DT    DET   a       det       19
        19 monitor NN    NOUN  monitor nsubj     20
        20 said    VBD   VERB  say     ROOT      20
        21 .       .     PUNCT .       punct     20
    """),
    "must_release": ("Germany said on Monday that Iran must release the detained sailors.", """
         0 Germany  NNP   PROPN Germany  nsubj     1 B-GPE
         1 said     VBD   VERB  say      ROOT      1
         2 on       IN    ADP   on       prep      1
         3 Monday   NNP   PROPN Monday   pobj      2 B-DATE
         4 that     IN    SCONJ that     mark      7
         5 Iran     NNP   PROPN Iran     nsubj     7 B-GPE
         6 must     MD    AUX   must     aux       7
         7 release  VB    VERB  release  ccomp     1
         8 the      DT    DET   the      det       10
         9 detained VBN   VERB  detain   amod      10
        10 sailors  NNS   NOUN  sailor   dobj      7
        11 .        .     PUNCT .        punct     1
    """),
    "ordered_to": ("The court ordered the newspaper Le Monde to suspend publication.", """
         0 The         DT    DET   the         det       1
         1 court       NN    NOUN  court       nsubj     2
         2 ordered     VBD   VERB  order       ROOT      2
         3 the         DT    DET   the         det       4
         4 newspaper   NN    NOUN  newspaper   dobj      2
         5 Le          NNP   PROPN Le          compound  6 B-ORG
         6 Monde       NNP   PROPN Monde       appos     4 I-ORG
         7 to          TO    PART  to          aux       8
         8 suspend     VB    VERB  suspend     xcomp     2
         9 publication NN    NOUN  publication dobj      8
        10 .           .     PUNCT .           punct     2
    """),
    "its_demand": ("The World Health Organization reiterated its demand that Chad open the border.", """
         0 The          DT    DET   the          det       3
         1 World        NNP   PROPN World        compound  3 B-ORG
         2 Health       NNP   PROPN Health       compound  3 I-ORG
         3 Organization NNP   PROPN Organization nsubj     4 I-ORG
         4 reiterated   VBD   VERB  reiterate    ROOT      4
         5 its          PRP$  PRON  its          poss      6
         6 demand       NN    NOUN  demand       dobj      4
         7 that         IN    SCONJ that         mark      9
         8 Chad         NNP   PROPN Chad         nsubj     9 B-PERSON
         9 open         VB    VERB  open         acl       6
        10 the          DT    DET   the          det       11
        11 border       NN    NOUN  border       dobj      9
        12 .            .     PUNCT .            punct     4
    """),
    "ready_to": ("Kenya is ready to contribute 1,000 troops to a regional force in Somalia, officials said.", """
         0 Kenya      NNP   PROPN Kenya      nsubj     1 B-GPE
         1 is         VBZ   AUX   be         ccomp     15
         2 ready      JJ    ADJ   ready      acomp     1
         3 to         TO    PART  to         aux       4
         4 contribute VB    VERB  contribute xcomp     2
         5 1,000      CD    NUM   1,000      nummod    6 B-CARDINAL
         6 troops     NNS   NOUN  troop      dobj      4
         7 to         IN    ADP   to         prep      4
         8 a          DT    DET   a          det       10
         9 regional   JJ    ADJ   regional   amod      10
        10 force      NN    NOUN  force      pobj      7
        11 in         IN    ADP   in         prep      10
        12 Somalia    NNP   PROPN Somalia    pobj      11 B-GPE
        13 ,          ,     PUNCT ,          punct     15
        14 officials  NNS   NOUN  official   nsubj     15
        15 said       VBD   VERB  say        ROOT      15
        16 .          .     PUNCT .          punct     15
    """),
    "swallowed": ("Kurdish youths resorted to throwing stones during protests in the city, officials said on Friday.", """
         0 Kurdish   JJ    ADJ   kurdish   amod      1 B-NORP
         1 youths    NNS   NOUN  youth     dep       13
         2 resorted  VBN   VERB  resort    acl       1
         3 to        IN    ADP   to        prep      2
         4 throwing  VBG   VERB  throw     pcomp     3
         5 stones    NNS   NOUN  stone     dobj      4
         6 during    IN    ADP   during    prep      4
         7 protests  NNS   NOUN  protest   pobj      6
         8 in        IN    ADP   in        prep      7
         9 the       DT    DET   the       det       10
        10 city      NN    NOUN  city      pobj      8
        11 ,         ,     PUNCT ,         punct     13
        12 officials NNS   NOUN  official  nsubj     13
        13 said      VBD   VERB  say       ROOT      13
        14 on        IN    ADP   on        prep      13
        15 Friday    NNP   PROPN Friday    pobj      14 B-DATE
        16 .         .     PUNCT .         punct     13
    """),
    "aid_to": ("Canada halted economic aid to Haiti on Monday.", """
         0 Canada   NNP   PROPN Canada   nsubj     1 B-GPE
         1 halted   VBD   VERB  halt     ROOT      1
         2 economic JJ    ADJ   economic amod      3
         3 aid      NN    NOUN  aid      dobj      1
         4 to       IN    ADP   to       prep      1
         5 Haiti    NNP   PROPN Haiti    pobj      4 B-GPE
         6 on       IN    ADP   on       prep      1
         7 Monday   NNP   PROPN Monday   pobj      6 B-DATE
         8 .        .     PUNCT .        punct     1
    """),
}


@cache
def doc(name: str) -> Doc:
    text, table = PARSES[name]
    return parsed(text, table)


def word(name: str, text: str):
    return token(doc(name), text)


def text_of(found) -> str | None:
    return None if found is None else found.text


@pytest.mark.parametrize(
    ("name", "trigger", "negated"),
    [
        ("not_attack", "attack", True),  # "did not attack"
        ("failed_to", "capture", True),  # "failed to capture": the complement of "fail"
        ("threatened", "attack", False),
        ("narrated", "shelled", False),
    ],
)
def test_nlp_clauses_negation(name, trigger, negated):
    assert clauses.negated(word(name, trigger)) is negated


@pytest.mark.parametrize(
    ("name", "trigger", "governor"),
    [
        ("threatened", "attack", "threatened"),  # "threatened to attack"
        ("denied", "attacked", "denied"),  # "denied that it had attacked"
        ("narrated", "shelled", None),
        ("failed_to", "capture", None),  # failing is negation, not refusal
    ],
)
def test_nlp_clauses_threat_and_refusal_governor(name, trigger, governor):
    assert text_of(clauses.governor(word(name, trigger))) == governor


@pytest.mark.parametrize(
    ("name", "trigger", "future"),
    [
        ("unless", "withdraw", True),  # "it will withdraw"
        ("next_year", "withdraw", True),
        ("ready_to", "contribute", True),  # "ready to contribute"
        ("threatened", "attack", False),  # a threat is the governor's business, not intent
        ("narrated", "shelled", False),
    ],
)
def test_nlp_clauses_future(name, trigger, future):
    assert clauses.future(word(name, trigger)) is future


def test_nlp_clauses_condition_is_the_unless_clause():
    assert text_of(clauses.condition(word("unless", "withdraw"))) == "holds"
    assert clauses.condition(word("next_year", "withdraw")) is None
    assert clauses.condition(None) is None


def test_nlp_clauses_quotation_marks_open_before_the_trigger():
    assert clauses.in_quotes(word("quoted", "shelled"))
    assert not clauses.in_quotes(word("quoted", "said"))
    assert not clauses.in_quotes(word("officials_said", "shelled"))


@pytest.mark.parametrize(
    ("name", "speaker"),
    [
        ("quoted", "Haddad"),  # '"...," said Amira Haddad'
        ("according", "Crescent"),  # "according to the Red Crescent"
        ("officials_said", "officials"),
        ("narrated", None),  # the narrator's own statement
    ],
)
def test_nlp_clauses_attribution_of_a_reported_trigger(name, speaker):
    assert text_of(clauses.attribution(word(name, "shelled"))) == speaker


def test_nlp_clauses_speaker_is_the_subject_of_the_speech_verb_above():
    assert text_of(clauses.speaker_of(word("unless", "withdraw"))) == "Ghana"
    assert text_of(clauses.speaker_of(word("officials_said", "shelled"))) == "officials"
    assert clauses.speaker_of(word("narrated", "shelled")) is None
    assert clauses.speaker_of(word("according", "shelled")) is None  # "according to" is attribution only


@pytest.mark.parametrize(
    ("name", "text", "speaker"),
    [
        ("officials_said", "officials", True),
        ("according", "Crescent", True),
        ("quoted", "Amira", True),  # a compound of the speech verb's subject
        ("officials_said", "Rebels", False),
        ("narrated", "Rebels", False),
    ],
)
def test_nlp_clauses_is_speaker(name, text, speaker):
    assert clauses.is_speaker(word(name, text)) is speaker


@pytest.mark.parametrize(
    ("name", "trigger", "background"),
    [
        ("after_clashes", "clashes", 1),  # "after clashes": the scene, not the statement
        ("after_clashes", "lifted", 0),
        ("after_days", "fighting", 1),  # "after days of fighting"
        ("after_days", "captured", 0),
        ("unless", "holds", 1),  # "unless the junta holds elections"
        ("unless", "withdraw", 0),
    ],
)
def test_nlp_clauses_background(name, trigger, background):
    assert clauses.background_level(word(name, trigger)) == background


def test_nlp_clauses_under_background_stops_at_the_top():
    top = word("after_clashes", "lifted")
    assert clauses.under_background(word("after_clashes", "tribes"), top)
    assert not clauses.under_background(word("after_clashes", "curfew"), top)


def test_nlp_clauses_agent_of_a_participle_on_a_noun_trigger():
    assert text_of(clauses.passive_agent(word("carried_out_by", "bombing"))) == "IS"  # "a bombing carried out by IS"
    assert clauses.passive_agent(word("carried_out_by", "killed")) is None


def test_nlp_clauses_obligation_and_its_subject():
    said = word("must_release", "said")
    assert text_of(clauses.obligation_clause(said)) == "release"  # "that Iran must release"
    assert text_of(clauses.embedded_target(said)) == "Iran"
    assert clauses.obligation_clause(word("unless", "said")) is None  # "will" is no obligation


def test_nlp_clauses_controller_object_is_the_one_ordered():
    assert text_of(clauses.controller_object(word("ordered_to", "suspend"))) == "newspaper"
    assert clauses.controller_object(word("threatened", "attack")) is None  # no object to control


@pytest.mark.parametrize(
    ("name", "trigger", "subject"),
    [
        ("threatened", "attack", "rebels"),
        ("ordered_to", "suspend", "court"),
        ("ready_to", "contribute", "Kenya"),
        ("denied", "attacked", "militia"),
        ("narrated", "shelled", None),
    ],
)
def test_nlp_clauses_inherited_subject(name, trigger, subject):
    assert text_of(clauses.inherited_subject(word(name, trigger))) == subject


def test_nlp_clauses_noun_trigger_takes_the_clause_subject_not_its_pronoun():
    demand = word("its_demand", "demand")
    assert clauses.noun_source(demand) is None  # "its demand": the pronoun is the clause subject's
    assert [t.text for t in clauses.clause_subjects(demand)] == ["Organization"]


def test_nlp_clauses_swallowed_clause_gives_its_noun_as_subject():
    youths = word("swallowed", "youths")  # "Kurdish youths resorted to ..." parsed as a noun phrase
    assert clauses.swallowed_clause(youths)
    assert [t.text for t in clauses.clause_subjects(word("swallowed", "throwing"))] == ["youths"]
    assert not clauses.swallowed_clause(word("narrated", "Rebels"))


def test_nlp_clauses_prep_object_skips_dates():
    halted = word("aid_to", "halted")
    assert text_of(clauses.prep_object(halted, ("to",))) == "Haiti"
    assert clauses.prep_object(halted, ("on",)) is None  # "on Monday" is a date, not a party
