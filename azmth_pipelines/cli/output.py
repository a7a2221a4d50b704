"""How every command answers: a readable text form, or the same data as JSON with --json."""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer

from azmth_pipelines.errors import AzmthError

JsonFlag = typer.Option(False, "--json", help="Print JSON instead of text.")


def emit(data: Any, as_json: bool, render: Callable[[Any], str]) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
    else:
        typer.echo(render(data))


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn any error the product raises (`azmth_pipelines/errors.py`: the artist's input, a platform, a media file,
    our configuration) into a one-line message and exit code 1 (the transaction has rolled back)."""
    try:
        yield
    except AzmthError as exc:
        fail(str(exc))


def parse_pairs(option: str, values: list[str]) -> dict[str, str]:
    """`KEY=VALUE` options (e.g. --caption x="Out now") into a dict."""
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            fail(f"{option} takes KEY=VALUE, got {value!r}")
        pairs[key.strip()] = rest
    return pairs
