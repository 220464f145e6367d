"""The README tells the truth about what it shows: its commands, targets and links exist.

Every `wirewatch ...` line of a code block (README.md and docs/) parses as the command line would parse it (the
subcommands exist, the options exist, the required arguments are there) and its `--help`
exits 0; every `wirewatch ...` in inline code names a real command with real options; every
`make <target>` is a target of the Makefile; every relative link points to a file of the
repository; nothing in README.md or docs/ points outside the repository; the README stays
short, and every setting is documented somewhere.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import ENV_VARS

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MAX_README_LINES = 250
ROOT_COMMAND = typer.main.get_command(app)

_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_MAKE_TARGET = re.compile(r"^([A-Za-z0-9][\w.-]*)\s*:(?!=)", re.MULTILINE)


def code_lines(text: str) -> list[str]:
    """The lines of fenced and indented (4+ spaces, list items included) code blocks, a line
    continued with a backslash joined to the next."""
    lines, fenced, continued = [], False, False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced or (line.startswith("    ") and line.strip()):
            if continued:
                lines[-1] = lines[-1][:-1] + " " + line.strip()
            else:
                lines.append(line.strip())
            continued = lines[-1].endswith("\\")
        else:
            continued = False
    return lines


def shell_words(line: str) -> list[str]:
    return shlex.split(line, comments=True)


def is_wirewatch(word: str) -> bool:
    return word == "wirewatch" or word.endswith("/wirewatch")


def command_lines(page: Path) -> list[list[str]]:
    """The words after `wirewatch` of each command line in the page's code blocks."""
    commands = []
    for line in code_lines(page.read_text(encoding="utf-8")):
        words = shell_words(line)
        if words and is_wirewatch(words[0]):
            commands.append(words[1:])
    return commands


def inline_commands(page: Path) -> list[list[str]]:
    spans = _INLINE_CODE.findall(page.read_text(encoding="utf-8"))
    return [span.split()[1:] for span in spans if span.startswith("wirewatch ")]


def _cases(find) -> list:
    return [pytest.param(words, id=f"{page.relative_to(ROOT).as_posix()}: {' '.join(words)}")
            for page in (README, *DOCS) for words in find(page)]


def resolve(words: list[str]):
    """(command path, command, remaining words): the subcommands named by `words`, walked down."""
    command, path, rest = ROOT_COMMAND, [], list(words)
    while hasattr(command, "commands") and rest and rest[0] in command.commands:
        path.append(rest[0])
        command = command.commands[rest.pop(0)]
    return path, command, rest


def option_names(command) -> set[str]:
    names = {"--help"}
    for param in command.params:
        names.update(getattr(param, "opts", ()))
        names.update(getattr(param, "secondary_opts", ()))
    return names


def check_names_a_command(words: list[str]) -> tuple[list[str], object]:
    path, command, rest = resolve(words)
    if hasattr(command, "commands"):  # a group: only its own options may follow
        strays = [w for w in rest if not w.startswith("-")]
        assert not strays, f"`wirewatch {' '.join(words)}`: no command {strays[0]!r} under `wirewatch {' '.join(path)}`"
    unknown = [w.split("=")[0] for w in rest if w.startswith("--") and w.split("=")[0] not in option_names(command)]
    assert not unknown, f"`wirewatch {' '.join(words)}`: `wirewatch {' '.join(path)}` has no option {unknown[0]}"
    return path, command


def test_readme_shows_wirewatch_commands():
    assert len(command_lines(README)) >= 5
    assert len(inline_commands(README)) >= 10


@pytest.mark.parametrize("words", _cases(command_lines))
def test_code_block_command_parses_and_has_help(words):
    path, command = check_names_a_command(words)
    if not hasattr(command, "commands"):
        _, _, rest = resolve(words)
        command.make_context(f"wirewatch {' '.join(path)}", rest)  # a UsageError says what is wrong
    done = CliRunner().invoke(app, [*path, "--help"])
    assert done.exit_code == 0, done.output
    assert "Usage:" in done.output


@pytest.mark.parametrize("words", _cases(inline_commands))
def test_inline_command_exists(words):
    path, _ = check_names_a_command(words)
    done = CliRunner().invoke(app, [*path, "--help"])
    assert done.exit_code == 0, done.output


def test_resolve_refuses_what_is_not_a_command():
    """The checks above can fail: a made-up subcommand or option is caught."""
    with pytest.raises(AssertionError, match="no command 'nosuch'"):
        check_names_a_command(["feeds", "nosuch"])
    with pytest.raises(AssertionError, match="has no option --nosuch"):
        check_names_a_command(["run", "--nosuch", "x"])
    _, command, rest = resolve(["feeds", "add"])
    with pytest.raises(Exception, match="Missing"):
        command.make_context("wirewatch feeds add", rest)


def makefile_targets() -> set[str]:
    return set(_MAKE_TARGET.findall((ROOT / "Makefile").read_text(encoding="utf-8")))


def readme_make_targets() -> set[str]:
    text = README.read_text(encoding="utf-8")
    shown = [shell_words(line) for line in code_lines(text)]
    shown += [span.split() for span in _INLINE_CODE.findall(text)]
    return {words[1] for words in shown if len(words) > 1 and words[0] == "make"}


def test_readme_make_targets_exist():
    shown = readme_make_targets()
    assert {"run", "test"} <= shown
    missing = shown - makefile_targets()
    assert not missing, f"README shows make targets the Makefile lacks: {sorted(missing)}"


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_point_to_files(page):
    broken = []
    for target in _LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL or an anchor in the same page
        path = (page.parent / target.split("#", 1)[0]).resolve()
        if not path.exists() or not path.is_relative_to(ROOT):
            broken.append(target)
    assert not broken, f"{page.name} links to missing files: {broken}"


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_reference_outside_the_repository(page):
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text
    assert not re.search(r"(?<![\w.~])/(work|home|root|tmp|Users)/", text), "an absolute path of one machine"


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines < MAX_README_LINES, f"README.md has {lines} lines; move reference material to docs/"


def test_every_setting_is_documented():
    documented = README.read_text(encoding="utf-8") + (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in ENV_VARS if f"`{name}`" not in documented]
    assert not missing, f"settings documented nowhere: {missing}"


def test_readme_wheel_name_is_this_version():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    for shown in re.findall(r"wirewatch-([0-9][^-\s]*)-py3-none-any\.whl", README.read_text(encoding="utf-8")):
        assert shown == version, f"README installs wirewatch-{shown}, the project is {version}"
