"""Every `azmth ...` command the README and docs/ show exists, and takes the options they show it with.

A reader copies these lines; the test reads them out of the Markdown (fenced blocks and inline code) so the two
cannot drift apart again.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from rich.text import Text
from typer.testing import CliRunner

from azmth_pipelines.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE_RE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_INLINE_RE = re.compile(r"`([^`\n]+)`")
# `azmth` as a word of its own (also `.venv/bin/azmth`, `$(azmth`), not `azmth_pipelines` or `postgresql://.../azmth`.
_AZMTH_RE = re.compile(r"(?:^|(?<=[\s(\"'])|(?<=bin/))azmth(?=\s|$)")
_SHELL_OPERATORS = set("|&;)#<>")
_OPTION_RE = re.compile(r"^(--?[A-Za-z][\w-]*)")
# A value written as a format, e.g. `--checklist TITLE@DATE` or `--ad PLATFORM:NAME:BUDGET`: its help must show it.
_FORMAT_RE = re.compile(r"^[A-Z]+(?:[@:=.-][A-Z]+)+$")


@dataclass(frozen=True)
class ShownCommand:
    where: str
    words: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where}: azmth {' '.join(self.words)}"


def _words_after_azmth(text: str) -> list[list[str]]:
    """The words of each `azmth` command in a piece of shell or inline code, up to a shell operator."""
    commands = []
    for match in _AZMTH_RE.finditer(text):
        words: list[str] = []
        for raw in text[match.end() :].split():
            if raw in ("&&", "||") or raw[0] in _SHELL_OPERATORS:
                break  # a pipe, a list, a redirection or a comment: the command has ended
            cut = next((i for i, char in enumerate(raw) if char in _SHELL_OPERATORS - {"|"}), None)
            if cut is not None:  # `env)"` in `"$(azmth sandbox env)"`: the command ends inside this word
                words.append(raw[:cut])
                break
            words.append(raw)  # `probe|crop` inside a word lists alternatives: see _alternatives
        # `...` stands for "and so on" (`release update ID ...`, `--upc ...`): no word the reader types.
        commands.append([word.strip("[]\"'") for word in words if word.strip("[]\"'") not in ("", "...")])
    return commands


def _shown_commands() -> list[ShownCommand]:
    shown = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        fenced = [block.group(1) for block in _FENCE_RE.finditer(text)]
        prose = _FENCE_RE.sub("", text)
        # Markdown tables escape `|` as `\|`; inside inline code it lists alternatives.
        pieces = [line for block in fenced for line in block.replace("\\\n", " ").splitlines()]
        pieces += [span.replace("\\|", "|") for span in _INLINE_RE.findall(prose)]
        for piece in pieces:
            for words in _words_after_azmth(piece):
                for expanded in _alternatives(words):
                    shown.append(ShownCommand(document.name, tuple(expanded)))
    return shown


def _alternatives(words: list[str]) -> list[list[str]]:
    for index, word in enumerate(words):
        if "|" in word and not word.startswith("-"):
            return [
                expanded
                for choice in word.split("|")
                for expanded in _alternatives([*words[:index], choice, *words[index + 1 :]])
            ]
    return [words]


def _command_path(words: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Split the words into the command path (`release create`) and the rest; a word that names no subcommand of a
    group is kept in the path, so that `--help` on it fails and the test says so."""
    command = typer.main.get_command(app)
    path: list[str] = []
    rest = list(words)
    while _subcommands(command) and rest and not rest[0].startswith("-"):
        name = rest.pop(0)
        path.append(name)
        if name not in _subcommands(command):
            break
        command = _subcommands(command)[name]
    return path, rest


def _subcommands(command: object) -> dict[str, object]:
    return getattr(command, "commands", None) or {}


def _every_command() -> list[tuple[str, object]]:
    found = []
    pending: list[tuple[str, object]] = [("azmth", typer.main.get_command(app))]
    while pending:
        name, command = pending.pop()
        found.append((name, command))
        pending += [(f"{name} {sub}", subcommand) for sub, subcommand in _subcommands(command).items()]
    return found


SHOWN = _shown_commands()


def test_the_readme_shows_commands_to_check() -> None:
    assert any(c.words[:2] == ("release", "create") for c in SHOWN if c.where == "README.md")
    assert any(c.words == ("db", "upgrade") for c in SHOWN if c.where == "README.md")


@pytest.mark.parametrize("shown", SHOWN, ids=str)
def test_a_documented_command_exists_and_takes_the_options_shown(shown: ShownCommand) -> None:
    path, rest = _command_path(shown.words)
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0, f"{shown}: `azmth {' '.join(path)} --help` fails:\n{result.output}"
    help_text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.stdout).split())
    for index, word in enumerate(rest):
        option = _OPTION_RE.match(word)
        if option is None:
            continue
        assert re.search(rf"(?<![\w-]){re.escape(option.group(1))}(?![\w-])", help_text), (
            f"{shown}: `azmth {' '.join(path)}` has no option {option.group(1)}"
        )
        value = rest[index + 1] if index + 1 < len(rest) and "=" not in word else ""
        if _FORMAT_RE.match(value):
            assert value in help_text, f"{shown}: the help of {option.group(1)} does not show the format {value}"


def test_no_help_text_loses_words_to_rich_markup() -> None:
    """Help is rendered as Rich markup, where `[@X,Y]` or `[lower]` is a tag: the words would silently vanish."""
    for name, command in _every_command():
        texts = [getattr(command, "help", None) or ""]
        texts += [getattr(param, "help", None) or "" for param in getattr(command, "params", [])]
        for text in texts:
            assert Text.from_markup(text).plain == text, f"`{name} --help` drops part of {text!r}"
