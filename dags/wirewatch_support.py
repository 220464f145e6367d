"""What the Wirewatch DAGs share: Settings for a task, with the warehouse from Airflow.

The warehouse is the Airflow Connection `wirewatch_warehouse`; its extra `dsn`, when
set, is used as it is (an embedded server's unix-socket URL), else a URL is built
from its fields. Without that connection the tasks use the embedded default, as
the CLI does.
"""

from __future__ import annotations

import logging

WAREHOUSE_CONN_ID = "wirewatch_warehouse"
NEW_ARTICLES_URI = "wirewatch://warehouse/articles"

log = logging.getLogger(__name__)


def task_settings():
    """`Settings` from `WIREWATCH_*`, with the database taken from the Airflow Connection."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException  # noqa: F401  (raised by get)

    from pipeline.config import Settings

    settings = Settings.from_env()
    try:
        conn = Connection.get(WAREHOUSE_CONN_ID)
    except Exception as exc:  # AirflowNotFoundException, or no connection backend at all
        if type(exc).__name__ != "AirflowNotFoundException":
            raise
        log.info("no connection %s: using %s", WAREHOUSE_CONN_ID,
                 "WIREWATCH_DATABASE_URL" if settings.database_url else "the embedded warehouse")
        return settings
    return settings.with_(database_url=connection_url(conn))


def connection_url(conn) -> str:
    """A libpq URL for an Airflow Connection: its extra `dsn`, else built from its fields."""
    dsn = (conn.extra_dejson or {}).get("dsn")
    if dsn:
        return dsn
    from urllib.parse import quote

    auth = ""
    if conn.login:
        auth = quote(conn.login, safe="")
        if conn.password:
            auth += ":" + quote(conn.password, safe="")
        auth += "@"
    port = f":{conn.port}" if conn.port else ""
    return f"postgresql://{auth}{conn.host or ''}{port}/{conn.schema or ''}"
