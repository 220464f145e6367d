"""Fatalities: numbers attached to death words, read conservatively; wounded not counted.

The rule reads a parse, so each case is the sentence with its parse written down (see
`tests/nlp_docs.py`): no model is loaded and a case runs in a millisecond. That the model
still parses these sentences so, and that the analyzer counts them end to end, is checked in
`tests/nlp_model/test_nlp_model_fatalities.py`.
"""

from __future__ import annotations

import pytest
from spacy.tokens import Doc

from nlp_docs import english_vocab, parsed, sentence
from pipeline.nlp.fatalities import count_fatalities, count_of, parse_count

COUNTED = [
    ("A car bomb killed dozens of people in the town.", """
         0 A      DT    DET   a      det       2
         1 car    NN    NOUN  car    compound  2
         2 bomb   NN    NOUN  bomb   nsubj     3
         3 killed VBD   VERB  kill   ROOT      3
         4 dozens NNS   NOUN  dozen  dobj      3 B-CARDINAL
         5 of     IN    ADP   of     prep      4
         6 people NNS   NOUN  people pobj      5
         7 in     IN    ADP   in     prep      6
         8 the    DT    DET   the    det       9
         9 town   NN    NOUN  town   pobj      7
        10 .      .     PUNCT .      punct     3
    """, 12),
    ("Dozens of civilians were killed and dozens wounded on Friday.", """
         0 Dozens    NNS   NOUN  dozen     nsubjpass 4 B-CARDINAL
         1 of        IN    ADP   of        prep      0
         2 civilians NNS   NOUN  civilian  pobj      1
         3 were      VBD   AUX   be        auxpass   4
         4 killed    VBN   VERB  kill      ROOT      4
         5 and       CC    CCONJ and       cc        4
         6 dozens    NNS   NOUN  dozen     nsubj     7 B-CARDINAL
         7 wounded   VBN   VERB  wound     conj      4
         8 on        IN    ADP   on        prep      7
         9 Friday    NNP   PROPN Friday    pobj      8 B-DATE
        10 .         .     PUNCT .         punct     7
    """, 12),
    ("Gunmen killed 23 people at the market.", """
         0 Gunmen NNS   NOUN  gunman nsubj     1
         1 killed VBD   VERB  kill   ROOT      1
         2 23     CD    NUM   23     nummod    3 B-CARDINAL
         3 people NNS   NOUN  people dobj      1
         4 at     IN    ADP   at     prep      1
         5 the    DT    DET   the    det       6
         6 market NN    NOUN  market pobj      4
         7 .      .     PUNCT .      punct     1
    """, 23),
    ("At least 1,500 people died in the floods.", """
         0 At     RB    ADV   at     advmod    1 B-CARDINAL
         1 least  JJS   ADJ   least  advmod    2 I-CARDINAL
         2 1,500  CD    NUM   1,500  nummod    3 I-CARDINAL
         3 people NNS   NOUN  people nsubj     4
         4 died   VBD   VERB  die    ROOT      4
         5 in     IN    ADP   in     prep      4
         6 the    DT    DET   the    det       7
         7 floods NNS   NOUN  flood  pobj      5
         8 .      .     PUNCT .      punct     4
    """, 1500),
    ("Scores of villagers were killed in the raid.", """
         0 Scores    NNS   NOUN  score     nsubjpass 4
         1 of        IN    ADP   of        prep      0
         2 villagers NNS   NOUN  villager  pobj      1
         3 were      VBD   AUX   be        auxpass   4
         4 killed    VBN   VERB  kill      ROOT      4
         5 in        IN    ADP   in        prep      4
         6 the       DT    DET   the       det       7
         7 raid      NN    NOUN  raid      pobj      5
         8 .         .     PUNCT .         punct     4
    """, 20),
    ("Hundreds of people were killed in the fighting.", """
         0 Hundreds NNS   NOUN  hundred  nsubjpass 4 B-CARDINAL
         1 of       IN    ADP   of       prep      0
         2 people   NNS   NOUN  people   pobj      1
         3 were     VBD   AUX   be       auxpass   4
         4 killed   VBN   VERB  kill     ROOT      4
         5 in       IN    ADP   in       prep      4
         6 the      DT    DET   the      det       7
         7 fighting NN    NOUN  fighting pobj      5
         8 .        .     PUNCT .        punct     4
    """, 100),
    ("The death toll rose to 31 on Monday.", """
         0 The    DT    DET   the    det       2
         1 death  NN    NOUN  death  compound  2
         2 toll   NN    NOUN  toll   nsubj     3
         3 rose   VBD   VERB  rise   ROOT      3
         4 to     IN    ADP   to     prep      3
         5 31     CD    NUM   31     pobj      4 B-CARDINAL
         6 on     IN    ADP   on     prep      3
         7 Monday NNP   PROPN Monday pobj      6 B-DATE
         8 .      .     PUNCT .      punct     3
    """, 31),
    ("Police opened fire, killing one person and arresting 12.", """
         0 Police    NNS   NOUN  Police    nsubj     1
         1 opened    VBD   VERB  open      ROOT      1
         2 fire      NN    NOUN  fire      dobj      1
         3 ,         ,     PUNCT ,         punct     1
         4 killing   VBG   VERB  kill      advcl     1
         5 one       CD    NUM   one       nummod    6 B-CARDINAL
         6 person    NN    NOUN  person    dobj      4
         7 and       CC    CCONJ and       cc        4
         8 arresting VBG   VERB  arrest    conj      4
         9 12        CD    NUM   12        dobj      8 B-CARDINAL
        10 .         .     PUNCT .         punct     1
    """, 1),
    ("Twelve soldiers died when the convoy was ambushed.", """
         0 Twelve   CD    NUM   twelve   nummod    1 B-CARDINAL
         1 soldiers NNS   NOUN  soldier  nsubj     2
         2 died     VBD   VERB  die      ROOT      2
         3 when     WRB   SCONJ when     advmod    7
         4 the      DT    DET   the      det       5
         5 convoy   NN    NOUN  convoy   nsubjpass 7
         6 was      VBD   AUX   be       auxpass   7
         7 ambushed VBN   VERB  ambush   advcl     2
         8 .        .     PUNCT .        punct     2
    """, 12),
    ("A dozen people were killed.", """
         0 A      DT    DET   a      quantmod  1
         1 dozen  NN    NOUN  dozen  nummod    2 B-CARDINAL
         2 people NNS   NOUN  people nsubjpass 4
         3 were   VBD   AUX   be     auxpass   4
         4 killed VBN   VERB  kill   ROOT      4
         5 .      .     PUNCT .      punct     4
    """, 12),
]

NO_DEATHS = [
    ("Forty people were wounded in the blast.", """
         0 Forty   CD    NUM   forty   nummod    1 B-CARDINAL
         1 people  NNS   NOUN  people  nsubjpass 3
         2 were    VBD   AUX   be      auxpass   3
         3 wounded VBN   VERB  wound   ROOT      3
         4 in      IN    ADP   in      prep      3
         5 the     DT    DET   the     det       6
         6 blast   NN    NOUN  blast   pobj      4
         7 .       .     PUNCT .       punct     3
    """),
    ("The rebels attacked the base on Friday.", """
         0 The      DT    DET   the      det       1
         1 rebels   NNS   NOUN  rebel    nsubj     2
         2 attacked VBD   VERB  attack   ROOT      2
         3 the      DT    DET   the      det       4
         4 base     NN    NOUN  base     dobj      2
         5 on       IN    ADP   on       prep      2
         6 Friday   NNP   PROPN Friday   pobj      5 B-DATE
         7 .        .     PUNCT .        punct     2
    """),
    ("Nobody was killed, but 30 were injured.", """
         0 Nobody  NN    PRON  nobody  nsubjpass 2
         1 was     VBD   AUX   be      auxpass   2
         2 killed  VBN   VERB  kill    ROOT      2
         3 ,       ,     PUNCT ,       punct     2
         4 but     CC    CCONJ but     cc        2
         5 30      CD    NUM   30      nsubjpass 7 B-CARDINAL
         6 were    VBD   AUX   be      auxpass   7
         7 injured VBN   VERB  injure  conj      2
         8 .       .     PUNCT .       punct     7
    """),
]

CUMULATIVE = [
    # Cumulative tolls are a history, not this event's dead.
    ("The ten-year civil war has killed 13,000 people.", """
         0 The    DT    DET   the    det       5
         1 ten    CD    NUM   ten    nummod    3 B-DATE
         2 -      HYPH  PUNCT -      punct     3 I-DATE
         3 year   NN    NOUN  year   nmod      5 I-DATE
         4 civil  JJ    ADJ   civil  amod      5
         5 war    NN    NOUN  war    nsubj     7
         6 has    VBZ   AUX   have   aux       7
         7 killed VBN   VERB  kill   ROOT      7
         8 13,000 CD    NUM   13,000 nummod    9 B-CARDINAL
         9 people NNS   NOUN  people dobj      7
        10 .      .     PUNCT .      punct     7
    """, None),
    ("The conflict has claimed more than 300,000 lives since 2011.", """
         0 The      DT    DET   the      det       1
         1 conflict NN    NOUN  conflict nsubj     3
         2 has      VBZ   AUX   have     aux       3
         3 claimed  VBN   VERB  claim    ROOT      3
         4 more     JJR   ADJ   more     amod      6 B-CARDINAL
         5 than     IN    ADP   than     quantmod  6 I-CARDINAL
         6 300,000  CD    NUM   300,000  nummod    7 I-CARDINAL
         7 lives    NNS   NOUN  life     dobj      3
         8 since    IN    SCONJ since    prep      3
         9 2011     CD    NUM   2011     pobj      8 B-DATE
        10 .        .     PUNCT .        punct     3
    """, None),
    ("More than 1,000 people have died in the violence since March.", """
         0 More     JJR   ADJ   More     amod      2 B-CARDINAL
         1 than     IN    ADP   than     quantmod  2 I-CARDINAL
         2 1,000    CD    NUM   1,000    nummod    3 I-CARDINAL
         3 people   NNS   NOUN  people   nsubj     5
         4 have     VBP   AUX   have     aux       5
         5 died     VBN   VERB  die      ROOT      5
         6 in       IN    ADP   in       prep      5
         7 the      DT    DET   the      det       8
         8 violence NN    NOUN  violence pobj      6
         9 since    IN    SCONJ since    prep      5
        10 March    NNP   PROPN March    pobj      9 B-DATE
        11 .        .     PUNCT .        punct     5
    """, None),
    ("The war's death toll has passed 400,000.", """
         0 The     DT    DET   the     det       1
         1 war     NN    NOUN  war     poss      4
         2 's      POS   PART  's      case      1
         3 death   NN    NOUN  death   compound  4
         4 toll    NN    NOUN  toll    nsubj     6
         5 has     VBZ   AUX   have    aux       6
         6 passed  VBN   VERB  pass    ROOT      6
         7 400,000 CD    NUM   400,000 dobj      6 B-CARDINAL
         8 .       .     PUNCT .       punct     6
    """, None),
    ("Some 2,000 soldiers have been killed in the war.", """
         0 Some     DT    DET   some     quantmod  1 B-CARDINAL
         1 2,000    CD    NUM   2,000    nummod    2 I-CARDINAL
         2 soldiers NNS   NOUN  soldier  nsubjpass 5
         3 have     VBP   AUX   have     aux       5
         4 been     VBN   AUX   be       auxpass   5
         5 killed   VBN   VERB  kill     ROOT      5
         6 in       IN    ADP   in       prep      5
         7 the      DT    DET   the      det       8
         8 war      NN    NOUN  war      pobj      6
         9 .        .     PUNCT .        punct     5
    """, None),
    # The event's own count survives next to a cumulative one.
    ("A car bomb killed 12 people on Sunday, bringing the death toll this year to 200.", """
         0 A        DT    DET   a        det       2
         1 car      NN    NOUN  car      compound  2
         2 bomb     NN    NOUN  bomb     nsubj     3
         3 killed   VBD   VERB  kill     ROOT      3
         4 12       CD    NUM   12       nummod    5 B-CARDINAL
         5 people   NNS   NOUN  people   dobj      3
         6 on       IN    ADP   on       prep      3
         7 Sunday   NNP   PROPN Sunday   pobj      6 B-DATE
         8 ,        ,     PUNCT ,        punct     3
         9 bringing VBG   VERB  bring    advcl     3
        10 the      DT    DET   the      det       12
        11 death    NN    NOUN  death    compound  12
        12 toll     NN    NOUN  toll     dobj      9
        13 this     DT    DET   this     det       14 B-DATE
        14 year     NN    NOUN  year     npadvmod  9 I-DATE
        15 to       IN    ADP   to       prep      9
        16 200      CD    NUM   200      pobj      15 B-CARDINAL
        17 .        .     PUNCT .        punct     3
    """, 12),
    # Event-level counts still count.
    ("The fighting killed 40 people on Tuesday.", """
         0 The      DT    DET   the      det       1
         1 fighting NN    NOUN  fighting nsubj     2
         2 killed   VBD   VERB  kill     ROOT      2
         3 40       CD    NUM   40       nummod    4 B-CARDINAL
         4 people   NNS   NOUN  people   dobj      2
         5 on       IN    ADP   on       prep      2
         6 Tuesday  NNP   PROPN Tuesday  pobj      5 B-DATE
         7 .        .     PUNCT .        punct     2
    """, 40),
    ("Twenty people were killed in the war on Monday.", """
         0 Twenty CD    NUM   twenty nummod    1 B-CARDINAL
         1 people NNS   NOUN  people nsubjpass 3
         2 were   VBD   AUX   be     auxpass   3
         3 killed VBN   VERB  kill   ROOT      3
         4 in     IN    ADP   in     prep      3
         5 the    DT    DET   the    det       6
         6 war    NN    NOUN  war    pobj      4
         7 on     IN    ADP   on     prep      3
         8 Monday NNP   PROPN Monday pobj      7 B-DATE
         9 .      .     PUNCT .      punct     3
    """, 20),
    ("The blast claimed 12 lives.", """
         0 The     DT    DET   the     det       1
         1 blast   NN    NOUN  blast   nsubj     2
         2 claimed VBD   VERB  claim   ROOT      2
         3 12      CD    NUM   12      nummod    4 B-CARDINAL
         4 lives   NNS   NOUN  life    dobj      2
         5 .       .     PUNCT .       punct     2
    """, 12),
    ("Gunmen killed five villagers on Monday, bringing the death toll to 30.", """
         0 Gunmen    NNS   NOUN  gunman    nsubj     1
         1 killed    VBD   VERB  kill      ROOT      1
         2 five      CD    NUM   five      nummod    3 B-CARDINAL
         3 villagers NNS   NOUN  villager  dobj      1
         4 on        IN    ADP   on        prep      1
         5 Monday    NNP   PROPN Monday    pobj      4 B-DATE
         6 ,         ,     PUNCT ,         punct     1
         7 bringing  VBG   VERB  bring     advcl     1
         8 the       DT    DET   the       det       10
         9 death     NN    NOUN  death     compound  10
        10 toll      NN    NOUN  toll      dobj      7
        11 to        IN    ADP   to        prep      7
        12 30        CD    NUM   30        pobj      11 B-CARDINAL
        13 .         .     PUNCT .         punct     1
    """, 30),
]

WOUNDED = [
    ("Militants killed three soldiers and wounded 12 others.", """
         0 Militants NNS   NOUN  militant  nsubj     1
         1 killed    VBD   VERB  kill      ROOT      1
         2 three     CD    NUM   three     nummod    3 B-CARDINAL
         3 soldiers  NNS   NOUN  soldier   dobj      1
         4 and       CC    CCONJ and       cc        1
         5 wounded   VBD   VERB  wound     conj      1
         6 12        CD    NUM   12        nummod    7 B-CARDINAL
         7 others    NNS   NOUN  other     dobj      5
         8 .         .     PUNCT .         punct     1
    """, 3),
    ("The attack left four dead and 20 wounded.", """
         0 The     DT    DET   the     det       1
         1 attack  NN    NOUN  attack  nsubj     2
         2 left    VBD   VERB  leave   ROOT      2
         3 four    CD    NUM   four    nummod    4 B-CARDINAL
         4 dead    JJ    ADJ   dead    oprd      2
         5 and     CC    CCONJ and     cc        2
         6 20      CD    NUM   20      nsubj     7 B-CARDINAL
         7 wounded VBN   VERB  wound   conj      2
         8 .       .     PUNCT .       punct     2
    """, 4),
    ("Rebels fired rockets at the camp, killing or wounding 50.", """
         0 Rebels   NNS   NOUN  rebel    nsubj     1
         1 fired    VBD   VERB  fire     ROOT      1
         2 rockets  NNS   NOUN  rocket   dobj      1
         3 at       IN    ADP   at       prep      1
         4 the      DT    DET   the      det       5
         5 camp     NN    NOUN  camp     pobj      3
         6 ,        ,     PUNCT ,        punct     1
         7 killing  VBG   VERB  kill     advcl     1
         8 or       CC    CCONJ or       cc        7
         9 wounding VBG   VERB  wound    conj      7
        10 50       CD    NUM   50       dobj      9 B-CARDINAL
        11 .        .     PUNCT .        punct     1
    """, None),
]


@pytest.mark.parametrize(("text", "table", "expected"), COUNTED, ids=[c[0] for c in COUNTED])
def test_nlp_fatalities_counts(text, table, expected):
    assert count_fatalities(sentence(parsed(text, table))) == expected


@pytest.mark.parametrize(("text", "table"), NO_DEATHS, ids=[c[0] for c in NO_DEATHS])
def test_nlp_fatalities_none_without_deaths(text, table):
    assert count_fatalities(sentence(parsed(text, table))) is None


@pytest.mark.parametrize(("text", "table", "expected"), CUMULATIVE, ids=[c[0] for c in CUMULATIVE])
def test_nlp_fatalities_event_not_cumulative(text, table, expected):
    assert count_fatalities(sentence(parsed(text, table))) == expected


@pytest.mark.parametrize(("text", "table", "expected"), WOUNDED, ids=[c[0] for c in WOUNDED])
def test_nlp_fatalities_wounded_not_counted(text, table, expected):
    assert count_fatalities(sentence(parsed(text, table))) == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["23"], 23),
        (["1,500"], 1500),
        (["twelve"], 12),
        (["twenty-three"], 23),
        (["dozens"], 12),
        (["scores"], 20),
        (["thousands"], 1000),
        (["two", "thousand"], 2000),
        (["3", "million"], 3_000_000),
        (["a"], None),
        (["people"], None),
        (["1,50"], None),
    ],
)
def test_nlp_fatalities_parse_count_reads_one_count_word(words, expected):
    doc = Doc(english_vocab(), words=words)
    assert parse_count(doc[0]) == expected


def test_nlp_fatalities_a_dozen_counts_through_its_determiner():
    doc = parsed("a dozen people", """
        0 a      DT  DET  a      det  1
        1 dozen  NN  NOUN dozen  ROOT 1
        2 people NNS NOUN people pobj 1
    """)
    assert count_of(doc[1]) == 12


def test_nlp_fatalities_a_numbered_dozen_is_not_read_as_vague():
    # "two dozen": "dozen" with a number of its own is not the vague 12
    doc = parsed("two dozen", """
        0 two   CD NUM  two   nummod 1
        1 dozen NN NOUN dozen ROOT   1
    """)
    assert parse_count(doc[1]) is None
