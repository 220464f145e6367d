"""The `analyze` stage: text in, entities and PLOVER events out, one `Analysis` per text.

An `Analyzer` is built once per process from `Settings` (the model load is the slow
part) and then reused; `analyze_many` batches texts through `nlp.pipe`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from spacy.language import Language
from spacy.tokens import Doc

from pipeline.config import Settings
from pipeline.dates import to_date
from pipeline.models import Analysis, Entity
from pipeline.nlp.event_model import default_model
from pipeline.nlp.events import EventReader
from pipeline.nlp.geo import default_gazetteer
from pipeline.nlp.model import english_model, installed_model_version, load_pipeline, model_version

logger = logging.getLogger(__name__)

ANALYZER_VERSION = "0.11.0"
DEFAULT_BATCH_SIZE = 24
# "Deir Ezzor - Arab Today", "BAGHDAD, Nov 4 (Reuters) -": a place, then a dash.
_DATELINE = re.compile(
    r"^\s*(?P<place>[A-Z][\w'’.-]*(?:[ -][A-Za-z][\w'’.-]*){0,3}?)\s*(?:,[^\n\-–—]{0,40})?"
    r"\s*(?:\([^)\n]{1,30}\))?\s*[-–—]\s"
)

PublishedAt = date | datetime | str | None


class Analyzer:
    """spaCy plus Wirewatch's components and event reader, loaded once."""

    def __init__(self, settings: Settings, *, nlp: Language | None = None) -> None:
        self.settings = settings
        self.nlp = nlp if nlp is not None else load_pipeline(settings)
        self.gazetteer = default_gazetteer()
        events = default_model()
        self.reader = EventReader(self.gazetteer, events)
        self.version = f"wirewatch-nlp-{ANALYZER_VERSION}+{model_version(self.nlp)}+{events.version}"

    def analyze(self, text: str, published_at: PublishedAt, *, dateline: str | None = None) -> Analysis:
        """Entities and events of one text; `published_at` anchors relative dates."""
        return next(self.analyze_many([(text, published_at, dateline)], batch_size=1))

    def analyze_many(self, items: Iterable[tuple[str, PublishedAt, str | None]],
                     batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[Analysis]:
        """Analyses in input order, texts parsed in batches by `nlp.pipe`."""
        def stream() -> Iterator[tuple[str, tuple[date | None, str | None]]]:
            for text, published_at, dateline in items:
                yield text, (to_date(published_at), dateline)

        for doc, (published, dateline) in self.nlp.pipe(stream(), as_tuples=True, batch_size=batch_size):
            yield self._analysis(doc, published, dateline)

    def _analysis(self, doc: Doc, published: date | None, dateline: str | None) -> Analysis:
        text = doc.text  # built from the tokens on every access
        if dateline is None:
            dateline = find_dateline(text, self.gazetteer)
        entities = tuple(
            Entity(text=e.text, label=e.label_, start=e.start_char, end=e.end_char,
                   canonical=e._.canonical or e.text)
            for e in doc.ents
        )
        events = self.reader.read(doc, published, dateline)
        logger.debug("analyzed %s characters: %s entities, %s events", len(text), len(entities), len(events))
        return Analysis(entities=entities, events=events, model_version=self.version)


def find_dateline(text: str, gazetteer=None) -> str | None:
    """The place of a dateline opening the text ("Deir Ezzor - ...", "BAGHDAD, Nov 4 (AFP) -")."""
    first = text.lstrip()[:200]
    match = _DATELINE.match(first)
    if not match:
        return None
    place = match.group("place").strip()
    if place.isupper():
        place = place.title()
    gazetteer = gazetteer or default_gazetteer()
    return place if gazetteer.geocode(place) is not None else None


def analyzer_version(settings: Settings) -> str:
    """The `Analyzer.version` that `settings` would give, read without loading the model.

    Planning a re-processing run needs only this: which rows an older analyzer made.
    """
    return (f"wirewatch-nlp-{ANALYZER_VERSION}+{installed_model_version(english_model(settings))}"
            f"+{default_model().version}")
