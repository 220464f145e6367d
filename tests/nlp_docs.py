"""Hand-built spaCy `Doc`s for the NLP rule tests: a parse written down, no model loaded.

The rules in `pipeline.nlp` (fatalities, clause helpers, actors) read only a parse: tags,
lemmas, heads, dependency labels and entity spans. A unit test writes that parse as a
table, one token a line, the way spaCy's own tests pass `heads=`/`deps=` to `Doc`
(explosion/spaCy `spacy/tests/util.py`), and runs the rule on it in a millisecond:

    doc = parsed("Gunmen killed 23 people.", '''
        0 Gunmen  NNS NOUN  gunman  nsubj  1
        1 killed  VBD VERB  kill    ROOT   1
        2 23      CD  NUM   23      nummod 3
        3 people  NNS NOUN  people  dobj   1
        4 .       .   PUNCT .       punct  1
    ''')

Columns: index (checked, for the reader's sake), word, fine tag, coarse POS, lemma, label,
head index (the root points at itself), and an optional IOB entity tag (`B-GPE`, `I-GPE`).
Whitespace comes from `text`, so `doc.text == text` and character offsets are real.

The tables were first printed from the analyzer's parse (the configured model plus
Wirewatch's components) with `python tests/nlp_docs.py "A sentence."`; whether the model
still parses so is the model tests' business (`tests/nlp_model/`), not the rules'.
"""

from __future__ import annotations

import sys
from functools import cache

from spacy.tokens import Doc, Span, Token
from spacy.vocab import Vocab

#: a negated attack, the parse that several rule and model tests share
NOT_ATTACK = ("The rebels did not attack the convoy.", """
     0 The    DT    DET   the    det       1
     1 rebels NNS   NOUN  rebel  nsubj     4
     2 did    VBD   AUX   do     aux       4
     3 not    RB    PART  not    neg       4
     4 attack VB    VERB  attack ROOT      4
     5 the    DT    DET   the    det       6
     6 convoy NN    NOUN  convoy dobj      4
     7 .      .     PUNCT .      punct     4
""")


@cache
def english_vocab() -> Vocab:
    """A blank English vocabulary (lexical attributes such as `like_num`), built once."""
    from spacy.lang.en import English

    return English().vocab


def parsed(text: str, table: str) -> Doc:
    """The `Doc` of `text` with the parse written in `table` (see the module docstring)."""
    rows = [line.split() for line in table.strip().splitlines() if line.strip()]
    words, tags, pos, lemmas, deps, heads, ents = [], [], [], [], [], [], []
    for expected, row in enumerate(rows):
        if len(row) not in (7, 8) or row[0] != str(expected):
            raise ValueError(f"row {expected} of the parse of {text!r} is malformed: {' '.join(row)!r}")
        words.append(row[1])
        tags.append(row[2])
        pos.append(row[3])
        lemmas.append(row[4])
        deps.append(row[5])
        heads.append(int(row[6]))
        ents.append(row[7] if len(row) == 8 else "O")
    spaces = _spaces(text, words)
    return Doc(english_vocab(), words=words, spaces=spaces, tags=tags, pos=pos, lemmas=lemmas,
               heads=heads, deps=deps, ents=ents)


def _spaces(text: str, words: list[str]) -> list[bool]:
    """Whether each word is followed by a space in `text`; the words must spell `text`."""
    spaces, at = [], 0
    for word in words:
        while at < len(text) and text[at] == " ":
            at += 1
        if not text.startswith(word, at):
            raise ValueError(f"word {word!r} is not at offset {at} of {text!r}")
        at += len(word)
        spaces.append(at < len(text) and text[at] == " ")
    if text[at:].strip():
        raise ValueError(f"the words stop at offset {at} of {text!r}")
    return spaces


def token(doc: Doc, word: str, nth: int = 0) -> Token:
    """The `nth` token of `doc` whose text is `word`."""
    found = [t for t in doc if t.text == word]
    if len(found) <= nth:
        raise LookupError(f"{word!r} occurs {len(found)} times in {doc.text!r}")
    return found[nth]


def sentence(doc: Doc) -> Span:
    """The first sentence of `doc` (the parse sets the boundaries)."""
    return next(iter(doc.sents))


def table_of(doc: Doc) -> str:
    """`doc`'s parse as a table `parsed` reads back: how a new test's table is first written."""
    width = max((len(t.text) for t in doc), default=1)
    lines = []
    for t in doc:
        ent = f" {t.ent_iob_}-{t.ent_type_}" if t.ent_iob_ in ("B", "I") else ""
        lines.append(f"{t.i:>2} {t.text:<{width}} {t.tag_:<5} {t.pos_:<5} {t.lemma_:<{width}} {t.dep_:<9} {t.head.i}{ent}")
    return "\n".join(lines)


if __name__ == "__main__":  # python tests/nlp_docs.py "Gunmen killed 23 people."
    from pipeline.config import Settings
    from pipeline.nlp.model import load_pipeline

    nlp = load_pipeline(Settings())
    for argument in sys.argv[1:]:
        print(repr(argument))
        print(table_of(nlp(argument)))
