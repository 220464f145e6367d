"""Wirewatch: news feeds in, event records out, loaded into PostgreSQL.

Every stage is plain Python in this package and knows nothing of Airflow:
`http` and `feeds` bring pages in, `extract` cleans them, `nlp` reads
entities and events, `store` loads the warehouse, `flows` run them in order.
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
