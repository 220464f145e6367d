"""Whole-document event coding: the corpus, its splits and the scorer (see CODEBOOK in ../shared)."""
