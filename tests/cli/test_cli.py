"""The `wirewatch` console script as a user meets it: help, JSON output, one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from pipeline.cli import app

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "cli"
WIREWATCH = str(Path(sys.executable).with_name("wirewatch"))
CONTRACT_EXTRACT_FIELDS = {"url", "canonical_url", "title", "author", "published_at", "language", "text", "extractor"}


def _commands(group=None, prefix=()):
    group = group or typer.main.get_command(app)
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        if hasattr(command, "commands"):
            yield from _commands(command, path)
        else:
            yield " ".join(path), command


COMMANDS = dict(_commands())


def wirewatch(*args, stdin=None, env=None, cwd=None):
    return subprocess.run([WIREWATCH, *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_cli_every_command_has_help(name):
    command = COMMANDS[name]
    assert command.help and command.help.strip(), f"`wirewatch {name}` has no help text"
    done = wirewatch(*name.split(), "--help")
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_cli_every_command_is_in_readme(name):
    assert f"wirewatch {name}" in (ROOT / "README.md").read_text(), f"README does not mention `wirewatch {name}`"


def test_cli_missing_file_is_one_line_error(tmp_path):
    done = wirewatch("extract", str(tmp_path / "nope.html"))
    assert done.returncode == 1
    assert done.stderr.startswith("error: ")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "nope.html" in done.stderr


def test_cli_unreachable_database_is_one_line_error(monkeypatch):
    import os

    env = {**os.environ, "WIREWATCH_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2"}
    done = wirewatch("db", "migrate", env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "127.0.0.1" in done.stderr


def test_cli_bad_setting_is_one_line_error():
    import os

    env = {**os.environ, "WIREWATCH_MAX_REDIRECTS": "many"}
    done = wirewatch("extract", str(FIXTURES / "report.html"), env=env)
    assert done.returncode == 1
    assert done.stderr == "error: WIREWATCH_MAX_REDIRECTS='many' is not a valid int\n"


def test_cli_extract_prints_the_contract_fields():
    done = wirewatch("extract", str(FIXTURES / "report.html"), "--url", "https://news.example.org/world/border-clashes")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert CONTRACT_EXTRACT_FIELDS <= out.keys()
    assert out["title"] == "Clashes near the border leave six soldiers dead"
    assert out["canonical_url"] == "https://news.example.org/world/border-clashes"
    assert "Rebel fighters attacked an army post" in out["text"]
    assert "Share on Facebook" not in out["text"] and "All rights reserved" not in out["text"]
    assert out["published_at"] == "2024-03-09T08:30:00+00:00"  # an ISO 8601 string, as the contract says


def test_cli_extract_reads_gzip_from_stdin():
    import gzip

    raw = gzip.compress((FIXTURES / "report.html").read_bytes())
    done = subprocess.run([WIREWATCH, "extract", "-"], input=raw, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "army post" in json.loads(done.stdout)["text"]


@pytest.mark.slow
def test_cli_analyze_jsonl_keeps_ids_and_order():
    lines = [
        {"id": "b", "text": "Rebels attacked an army post in Kidal on Friday, killing six soldiers.", "published_at": "2024-03-09"},
        {"id": "a", "text": "Thousands of workers protested in Paris on Tuesday against the pension reform.", "published_at": "2024-03-09"},
    ]
    done = wirewatch("analyze", "--jsonl", "-", stdin="\n".join(json.dumps(x) for x in lines) + "\n")
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in results] == ["b", "a"]
    for result in results:
        for entity in result["entities"]:
            assert result["text"][entity["start"]:entity["end"]] == entity["text"]
    # rebels against an army post: armed violence between organised sides, the codebook's FIGHT
    assert [e["type"] for e in results[0]["events"]][:1] == ["FIGHT"]
    assert results[0]["events"][0]["fatalities"] == 6
    assert results[0]["events"][0]["date"] == "2024-03-08"
    assert [e["type"] for e in results[1]["events"]][:1] == ["PROTEST"]


def test_cli_analyze_french_text_is_not_analysed():
    # no French pipeline is installed: the text is reported with its language and no English-model reading
    done = wirewatch("analyze", str(ROOT / "tests" / "fixtures" / "languages" / "fr.txt"))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["language"] == "fr" and out["not_analysed"] == "language"
    assert out["events"] == [] and out["entities"] == [] and out["analyzer_version"] is None
    assert "douze morts" in out["text"]
    assert "not analysed" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_cli_analyze_jsonl_gates_each_line_by_language():
    lines = [
        {"id": "fr", "text": (ROOT / "tests" / "fixtures" / "languages" / "fr.txt").read_text(encoding="utf-8")},
        {"id": "en", "text": "Rebels attacked an army post in Kidal on Friday, killing six soldiers.",
         "published_at": "2024-03-09"},
    ]
    done = wirewatch("analyze", "--jsonl", "-", stdin="\n".join(json.dumps(x) for x in lines) + "\n")
    assert done.returncode == 0, done.stderr
    french, english = (json.loads(line) for line in done.stdout.splitlines())
    assert (french["id"], french["not_analysed"], french["events"], french["entities"]) == ("fr", "language", [], [])
    assert english["not_analysed"] is None and [e["type"] for e in english["events"]][:1] == ["FIGHT"]


def test_cli_analyze_rejects_bad_jsonl():
    done = wirewatch("analyze", "--jsonl", "-", stdin='{"id": 1, "text": "ok"}\nnot json\n')
    assert done.returncode == 1
    assert done.stderr.startswith("error: line 2: not JSON")
