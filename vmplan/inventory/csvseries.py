"""Wide CSV files of CPU series: ``timestamp,<vm>,<vm>,...`` with one row per sample, into numpy.

Plain decimal cells are read by :mod:`.decimals`, anything else by numpy's ``loadtxt``; only when
that fails or a value is out of range does a Python pass run, to report every kind of bad cell
with its line and column (a mistake repeated in many cells once, with a count). An empty cell is
a missing sample (NaN). Cells may be quoted (RFC 4180); a header name may hold a comma or a quote.
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vmplan.inventory import decimals, files, numbers
from vmplan.inventory.series import CSV_MISSING, RULE, hint, range_problem
from vmplan.model import FloatArray
from vmplan.problems import Position, Problem

# An empty CSV cell is rewritten to this before numpy parses the file; it can never be a valid
# sample (those lie in 0..100), so a cell that really holds it is read as missing, not as an error.
_MISSING_SENTINEL = -9.87654321e300
_SENTINEL_BYTES = b"-9.87654321e300"


@dataclass(frozen=True, slots=True, eq=False)
class CsvSeries:
    columns: dict[str, int]  # VM name -> column in ``values``
    values: FloatArray  # (columns, samples), every column's series contiguous; NaN = missing
    stamps: tuple[tuple[int, str], ...]  # (line in the file, first cell) of every sample's row
    at: dict[str, int]  # VM name -> its column (character) on the header line


def read_csv(path: Path, shown: str, max_bytes: int) -> tuple[CsvSeries | None, list[Problem]]:
    """A wide CSV ``timestamp,<vm>,<vm>,...`` with one row per sample.

    ``shown`` is the file name as messages print it. Plain decimals are read by
    :mod:`.decimals`, a piece of the file at a time, into the matrix: the file is never held whole
    beside it. Anything else is read whole, by numpy's ``loadtxt``; only when that fails or a value
    is out of range does a Python pass run, to report every bad cell with its line and column.
    ``path`` must be a regular file (it is read more than once).
    """
    top = Position(shown, 1, 1)
    too_large = f"over the {max_bytes >> 20} MiB limit"
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return None, [
                Problem.at(top, "", f"file is {size / 2**20:,.0f} MiB, {too_large}", "input")
            ]
        with path.open("rb") as f:
            not_text = files.text_problem(f.read(files.SNIFF_BYTES), "CSV")
        if not_text:
            return None, [Problem.at(top, "", not_text, "input")]

        def pieces() -> Iterator[bytes]:
            with path.open("rb") as f:
                yield from files.line_pieces(f, max_bytes, PIECE_BYTES)

        return _parse(pieces, shown, decimals.WORKERS)
    except OSError as exc:
        return None, [
            Problem.at(top, "", f"cannot read the CPU series file: {exc.strerror}", "input")
        ]
    except files.TooLarge:
        return None, [Problem.at(top, "", f"file is {too_large}", "input")]
    except MemoryError:
        return None, [Problem.at(top, "", f"not enough memory to read {shown}", "input")]


#: Bytes read at a time: enough rows to share out to the threads, little beside the matrix.
PIECE_BYTES = 4 << 20


def parse_csv(
    data: bytes, shown: str, workers: int = decimals.WORKERS
) -> tuple[CsvSeries | None, list[Problem]]:
    """The CSV's text into series, or every problem found (as :func:`read_csv` reads a file)."""
    not_text = files.text_problem(data, "CSV")
    if not_text:
        return None, [Problem.at(Position(shown, 1, 1), "", not_text, "input")]
    return _parse(
        lambda: files.line_pieces(io.BytesIO(data), len(data), PIECE_BYTES), shown, workers
    )


def _parse(
    pieces: decimals.Pieces, shown: str, workers: int
) -> tuple[CsvSeries | None, list[Problem]]:
    """The CSV that ``pieces`` reads (anew at every call) into series, or every problem found."""
    head = next(iter(_unquoted(pieces())), b"").partition(b"\n")[0]
    header = _header_cells(head.decode("utf-8-sig", "replace"))
    if len(header) < 2 or header[0].strip().lower() not in ("timestamp", "time"):
        return None, [Problem.at(Position(shown, 1, 1), "", _header_problem(head, header), "input")]
    columns, at, problems = _columns(header, shown)
    n = len(header) - 1

    def body() -> Iterator[bytes]:
        rows = iter(_unquoted(pieces()))
        first = next(rows, b"")
        yield first[first.find(b"\n") + 1 :] if b"\n" in first else b""
        yield from rows

    fast = decimals.csv_columns(body, n, workers)  # plain decimals: fast, already by column
    if fast is not None and _in_range(fast[0]):
        values, stamps = fast
    else:
        # read whole: numpy's general parser, or the slow path, the authority: it reports every
        # bad cell, or returns what it read (numpy refuses some cells that are fine, e.g. one
        # holding only spaces: missing)
        plain = fast is not None  # every cell a plain decimal, some out of range: no loadtxt
        del fast  # the matrix goes before the text is read whole
        text = b"".join(body())
        loaded = None if plain else _loadtxt_columns(text, n)
        if loaded is None or not _in_range(loaded):
            slow, found = _csv_slow(text, shown, n)
            problems += found
            if slow is None:
                return None, problems
            loaded = np.ascontiguousarray(slow.T)
        values = loaded
        stamps = [(i + 2, line.partition(b",")[0]) for i, line in enumerate(text.split(b"\n"))]
        stamps = [(line, stamp) for line, stamp in stamps if stamp.strip()]
    texts = tuple((line, stamp.decode("utf-8", "replace").strip()) for line, stamp in stamps)
    return CsvSeries(columns, values, texts, at), problems


def _unquoted(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Pieces of whole lines with CRLF line ends as LF, and RFC 4180 quotes around a cell as
    spaces, so columns stay true."""
    for piece in pieces:
        if b"\r" in piece:
            piece = piece.replace(b"\r\n", b"\n")
        yield _QUOTED.sub(rb" \1 ", piece) if b'"' in piece else piece


def _in_range(values: FloatArray) -> bool:
    """No value below 0 or above 100; NaN (a missing sample) is ignored. Reduced without a
    temporary as large as the matrix."""
    if not values.size:
        return True
    return not bool(
        np.fmin.reduce(values, axis=None) < 0 or np.fmax.reduce(values, axis=None) > 100
    )


def _header_cells(line: str) -> list[str]:
    """The header's names; a name quoted because it holds a comma or a quote is read as RFC 4180
    says (``"web,01"``, ``"o""brien"``). Series cells are numbers and never need that."""
    if '"' not in line:
        return line.split(",")
    return next(csv.reader([line]))


#: A cell in double quotes that holds no comma, quote or line break.
_QUOTED = re.compile(rb'(?<![^,\n])"([^",\n]*)"(?=[,\n]|$)')


def _columns(header: list[str], shown: str) -> tuple[dict[str, int], dict[str, int], list[Problem]]:
    """The header's VM names -> their column, and -> their place on line 1; duplicates."""
    problems: list[Problem] = []
    columns: dict[str, int] = {}
    at: dict[str, int] = {}
    col = len(header[0]) + 2
    for j, raw in enumerate(header[1:]):
        name = raw.strip()
        if name in columns:
            problems.append(
                Problem.at(
                    Position(shown, 1, col),
                    f"columns[{j + 1}]",
                    f"duplicate column {name!r}",
                    "duplicate",
                )
            )
        columns.setdefault(name, j)
        at.setdefault(name, col)
        col += len(raw) + 1
    return columns, at, problems


_DELIMITERS = ((";", "';'"), ("\t", "tab"), ("|", "'|'"))


def _header_problem(head: bytes, cells: list[str]) -> str:
    """What is wrong with the first line, without quoting it: a file that is not a CSV at all
    (named by mistake, or on purpose) must not have its content printed into a CI log."""
    expected = "expected a header row 'timestamp,<vm name>,<vm name>,...'"
    if len(cells) < 2:
        for char, name in _DELIMITERS:
            if char.encode() in head:
                return f"{expected}, found {name} between the cells; save the file with commas"
        return f"{expected}, found a first line without commas (is it a CSV file?)"
    return f"{expected}; the first cell must be 'timestamp' or 'time'"


def _loadtxt_columns(body: bytes, n: int) -> FloatArray | None:
    """numpy's general parser (signs, exponents, spaces) as (columns, rows); None if it fails."""
    filled = body
    for _ in range(2 if b",," in body else 0):
        filled = filled.replace(b",,", b"," + _SENTINEL_BYTES + b",")
    if b",\n" in filled:
        filled = filled.replace(b",\n", b"," + _SENTINEL_BYTES + b"\n")
    if filled.endswith(b","):
        filled += _SENTINEL_BYTES
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            values = np.loadtxt(
                io.BytesIO(filled),
                delimiter=",",
                usecols=range(1, n + 1),
                comments=None,
                dtype=np.float64,
                ndmin=2,
            )
    except (ValueError, UserWarning):
        return None
    # usecols ignores cells past the header's count: a row with one too many would shift
    if values.shape[1] != n or filled.count(b",") != n * values.shape[0]:
        return None
    if values.shape[0] == 0 or not np.isfinite(values).all():
        return None  # no rows, or a NaN or infinity written out: the slow path says where
    values[values == _MISSING_SENTINEL] = np.nan
    return np.ascontiguousarray(values.T)


def _csv_slow(
    body: bytes, shown: str, n: int, limit: int = 200
) -> tuple[FloatArray | None, list[Problem]]:
    """Every kind of bad row or cell with its position, or the values when there is none (a
    Python pass). A mistake repeated in many cells (``12%`` in every one) is reported once, at its
    first cell, with a count; the pass stops after ``limit`` bad cells."""
    seen = _Repeated()
    out: list[list[float]] = []
    text = body.decode("utf-8", "replace")
    for i, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        row = len(out) + 1
        out.append([math.nan] * n)
        _csv_row(line, i + 2, row, n, shown, out[-1], seen)
        if seen.bad >= limit:
            break
    problems = seen.problems(stopped=seen.bad >= limit)
    if not out:
        problems.append(
            Problem.at(
                Position(shown, 1, 1),
                "",
                "expected rows of samples after the header, found none",
                RULE,
            )
        )
    if problems:
        return None, problems
    return np.array(out, dtype=np.float64).reshape(len(out), n), problems


def _csv_row(
    line: str, lineno: int, row: int, n: int, shown: str, out: list[float], seen: _Repeated
) -> None:
    """One row's cells into ``out``; its mistakes into ``seen``."""
    cells = line.split(",")
    if len(cells) != n + 1:
        wrong = f"expected {n + 1} cells like the header, got {len(cells)}"
        seen.add(("cells", ""), Problem.at(Position(shown, lineno, 1), f"rows[{row}]", wrong, RULE))
        return
    col = len(cells[0]) + 2
    for j, cell in enumerate(cells[1:]):
        stripped = cell.strip()
        f = numbers.sample(stripped)
        message: str | None = None
        kind = ""
        if f is not None:
            out[j] = f
            if not 0 <= f <= 100:
                kind = "nan" if f != f else "inf" if math.isinf(f) else "range"
                message = range_problem(f)
        elif stripped:
            kind = "text"
            message = f"expected a number from 0 to 100 or an empty cell, got {stripped!r}"
        if message:
            advice = hint(stripped, CSV_MISSING)
            where = Position(shown, lineno, col)
            seen.add(
                (kind, advice), Problem.at(where, f"rows[{row}][{j + 1}]", message + advice, RULE)
            )
        col += len(cell) + 1


class _Repeated:
    """Problems by kind: the first of each kind, and how many more there were."""

    def __init__(self) -> None:
        self.first: dict[tuple[str, str], Problem] = {}
        self.more: Counter[tuple[str, str]] = Counter()
        self.bad = 0

    def add(self, key: tuple[str, str], problem: Problem) -> None:
        self.bad += 1
        if key in self.first:
            self.more[key] += 1
        else:
            self.first[key] = problem

    def problems(self, stopped: bool) -> list[Problem]:
        out = []
        for key, p in self.first.items():
            k = self.more[key]
            if k:
                what = "cell" if p.path.endswith("]") and p.path.count("[") == 2 else "row"
                count = f"at least {k}" if stopped else str(k)
                more = f" (and {count} more {what}{'s' if k > 1 else ''} like it)"
                p = Problem(p.file, p.line, p.column, p.path, p.message + more, p.rule, p.level)
            out.append(p)
        return out
