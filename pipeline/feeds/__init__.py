"""Feeds: parsing, the feed list, item fingerprints, discovery and the polling schedule."""
