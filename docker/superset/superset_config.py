"""Superset settings for the Wirewatch stack, all taken from the environment.

Why a file: Superset reads its settings from a `superset_config` module on its path;
the secrets and the metadata database come from docker-compose.yml, so this file holds
no secret and fails loudly when one is missing instead of falling back to a default key.
"""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ["SUPERSET_DATABASE_URI"]
