"""CSV exports read the way every source needs: checked text, a header of known columns, rows
with their line numbers. Column names match case-insensitively, with aliases (RVTools renamed
columns between versions); PowerShell's ``#TYPE`` first line is skipped and a ``;`` delimiter
(European locales) is recognised.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from vmplan.inventory import files
from vmplan.problems import InputError, Problem, did_you_mean

RULE = "input"
#: no import input is read past this size (the loader's own CSV limit)
MAX_BYTES = 2 << 30


def read_text(path: Path, shown: str, kind: str, max_bytes: int = MAX_BYTES) -> str:
    """The file as text, or :class:`InputError`: unreadable, too large, binary, not UTF-8."""

    def fail(message: str, line: int = 0, column: int = 0) -> InputError:
        return InputError([Problem(shown, line, column, "", message, RULE)])

    try:
        data = files.read_limited(path, max_bytes)
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise fail(f"larger than the limit of {max_bytes >> 20} MiB; split it by time")
    why = files.text_problem(data, kind)
    if why:
        raise fail(why)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise fail(
            f"expected UTF-8 text, found the byte 0x{byte}; save the file as UTF-8 "
            "(Excel: CSV UTF-8)",
            line,
            column,
        ) from None


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    cells: Mapping[str, str]  # column key -> stripped cell text (missing cells: '')
    columns: Mapping[str, int]  # column key -> 1-based character column of its cell


def _lines(text: str, start: int) -> Iterator[str]:
    """The lines of ``text`` from offset ``start``, one small string at a time."""
    pos, n = start, len(text)
    while pos < n:
        end = text.find("\n", pos)
        end = n if end < 0 else end + 1
        yield text[pos:end]
        pos = end


@dataclass(frozen=True, slots=True)
class Table:
    """A checked header and the rows after it, read lazily: a large export is never held as
    rows, only as its text."""

    shown: str
    header_line: int
    columns: Mapping[str, int]  # key -> index into a row's cells
    text: str
    body: int  # offset of the header line in text
    delimiter: str = ","
    quoted: bool = False  # every cell in double quotes (PowerShell)

    def has(self, key: str) -> bool:
        return key in self.columns

    def raw(self) -> Iterator[tuple[int, list[str]]]:
        """(line, cells) of every row that is not blank; :class:`InputError` if not CSV."""
        reader = csv.reader(_lines(self.text, self.body), delimiter=self.delimiter)
        first = self.header_line - 1
        try:
            next(reader)  # the header
            for cells in reader:
                if cells and any(c.strip() for c in cells):
                    yield first + reader.line_num, cells
        except csv.Error as exc:
            line = first + reader.line_num
            raise InputError([Problem(self.shown, line, 1, "", f"not CSV: {exc}", RULE)]) from None

    def row(self, line: int, cells: list[str]) -> Row:
        values = {k: cells[i].strip() if i < len(cells) else "" for k, i in self.columns.items()}
        # the character column of every cell: exact when no cell is quoted, or (as PowerShell's
        # Export-Csv writes) every cell is
        pad = 2 if self.quoted else 0
        starts = [1 + pad // 2]
        for c in cells:
            starts.append(starts[-1] + len(c) + 1 + pad)
        where = {k: starts[min(i, len(cells))] for k, i in self.columns.items()}
        return Row(line, values, where)

    def __iter__(self) -> Iterator[Row]:
        for line, cells in self.raw():
            yield self.row(line, cells)


def read_table(
    text: str,
    shown: str,
    required: Mapping[str, Sequence[str]],
    optional: Mapping[str, Sequence[str]] = {},
) -> Table:
    """A CSV table with the ``required`` columns (key -> accepted names) and any ``optional``.

    Raises :class:`InputError` naming the missing columns with the closest header name.
    """
    first, body = 0, 0
    for line in _lines(text, 0):
        if line.strip() and not line.startswith("#TYPE"):
            break
        first, body = first + 1, body + len(line)
    else:
        raise InputError([Problem(shown, 1, 1, "", "expected a header row, found nothing", RULE)])
    head = next(_lines(text, body))
    delimiter = ";" if head.count(";") > head.count(",") else ","
    header = [h.strip() for h in next(csv.reader([head], delimiter=delimiter))]
    folded = {h.lower(): i for i, h in enumerate(header)}
    columns: dict[str, int] = {}
    problems: list[Problem] = []
    for keys, needed in ((required, True), (optional, False)):
        for key, names in keys.items():
            found = next((folded[n.lower()] for n in names if n.lower() in folded), None)
            if found is not None:
                columns[key] = found
            elif needed:
                accepted = " or ".join(f"'{n}'" for n in names)
                problems.append(
                    Problem(
                        shown,
                        first + 1,
                        1,
                        "header",
                        f"missing column {accepted}{did_you_mean(names[0], header)}; "
                        f"the header has {', '.join(header)}",
                        RULE,
                    )
                )
    if problems:
        raise InputError(problems)
    quoted = head.lstrip().startswith('"')
    return Table(shown, first + 1, columns, text, body, delimiter, quoted)


def problem(table: Table, row: Row, key: str, message: str) -> Problem:
    """A problem at ``row``'s cell of column ``key``."""
    return Problem(table.shown, row.line, row.columns.get(key, 1), key, message, RULE)
