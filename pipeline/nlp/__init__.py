"""Entities and PLOVER events from article text (the contract's `analyze`).

Build one `Analyzer(settings)` per process and call `analyze` or `analyze_many`.
The names below are imported lazily so that `pipeline.geo` can use the word lists in
`pipeline.nlp.lexicon` without importing spaCy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ANALYZER_VERSION", "Analyzer", "analyzer_version", "find_dateline"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pipeline.nlp import analyzer

        return getattr(analyzer, name)
    raise AttributeError(f"module 'pipeline.nlp' has no attribute {name!r}")
