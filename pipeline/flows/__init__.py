"""The runs: a monitoring cycle's stages, backfill and reprocess, their claims, isolation and reports."""
