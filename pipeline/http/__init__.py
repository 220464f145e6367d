"""HTTP in: pooled connections, fetching with politeness, charset decoding and canonical URLs."""
