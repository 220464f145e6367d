"""Shared unit-test fixtures: the NLP analyzer is loaded once per test session."""

from __future__ import annotations

import pytest

from pipeline.config import Settings


@pytest.fixture(scope="session")
def analyzer():
    """One `Analyzer` (spaCy model + gazetteers) for every NLP test: loading takes seconds."""
    from pipeline.nlp import Analyzer

    return Analyzer(Settings())
