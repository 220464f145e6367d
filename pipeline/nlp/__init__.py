"""Entities and PLOVER events from article text (the contract's `analyze`).

Build one `Analyzer(settings)` per process and call `analyze` or `analyze_many`.
"""

from pipeline.nlp.analyzer import ANALYZER_VERSION, Analyzer, analyzer_version, find_dateline

__all__ = ["ANALYZER_VERSION", "Analyzer", "analyzer_version", "find_dateline"]
