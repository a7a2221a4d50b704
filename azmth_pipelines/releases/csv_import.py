"""Reading the CSV exports people hand us (distributors' reports, pre-save services' exports): headers under
a few common names, comma/semicolon/tab, an Excel BOM, and a line number for every row so a bad row can be
reported where the person will find it."""

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azmth_pipelines.errors import ArtistFixableError


class BadRow(ArtistFixableError, ValueError):
    """A row that cannot be loaded; the message says why, in words for the person who made the file."""


class MissingColumns(ArtistFixableError, ValueError):
    pass


@dataclass
class ImportReport:
    rows: int = 0
    written: int = 0
    unchanged: int = 0
    bad_rows: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad_rows

    def bad(self, line: int, message: str) -> None:
        self.bad_rows.append((line, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "written": self.written,
            "unchanged": self.unchanged,
            "bad_rows": [{"line": line, "error": message} for line, message in self.bad_rows],
        }


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]

    def get(self, name: str) -> str:
        return (self.values.get(name) or "").strip()


def _canonical(header: str, aliases: Mapping[str, tuple[str, ...]]) -> str:
    name = header.strip().lower().replace("_", " ")
    for canonical, names in aliases.items():
        if name == canonical.replace("_", " ") or name in names:
            return canonical
    return name


def read_rows(path: Path, *, aliases: Mapping[str, tuple[str, ...]], required: tuple[str, ...]) -> Iterator[Row]:
    """Rows keyed by canonical column names; `line` is the file line the row ends on (1 = the header)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(8192)
        handle.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(handle, dialect)
        header = next(reader, None)
        if header is None:
            raise MissingColumns(f"{path} is empty; expected a header row")
        names = [_canonical(h, aliases) for h in header]
        missing = [name for name in required if name not in names]
        if missing:
            raise MissingColumns(f"{path}: missing column(s) {', '.join(missing)} (header: {', '.join(header)})")
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            yield Row(reader.line_num, dict(zip(names, record, strict=False)))
