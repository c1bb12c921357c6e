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
    :mod:`.decimals`, anything else by numpy's ``loadtxt``; only when that fails or a value is out
    of range does a Python pass run, to report every bad cell with its line and column.
    """
    top = Position(shown, 1, 1)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return None, [
                Problem.at(
                    top,
                    "",
                    f"file is {size / 2**20:,.0f} MiB, over the {max_bytes >> 20} MiB limit",
                    "input",
                )
            ]
        data = files.read_limited(path, max_bytes)  # a pipe or device has no size to check
        if len(data) > max_bytes:
            return None, [
                Problem.at(top, "", f"file is over the {max_bytes >> 20} MiB limit", "input")
            ]
        return parse_csv(data, shown)
    except OSError as exc:
        return None, [
            Problem.at(top, "", f"cannot read the CPU series file: {exc.strerror}", "input")
        ]
    except MemoryError:
        return None, [Problem.at(top, "", f"not enough memory to read {shown}", "input")]


def parse_csv(
    data: bytes, shown: str, workers: int = decimals.WORKERS
) -> tuple[CsvSeries | None, list[Problem]]:
    """The CSV's text (as read by :func:`read_csv`) into series, or every problem found."""
    top = Position(shown, 1, 1)
    not_text = files.text_problem(data, "CSV")
    if not_text:
        return None, [Problem.at(top, "", not_text, "input")]
    data = data.replace(b"\r\n", b"\n")
    if b'"' in data:  # RFC 4180 quotes around a cell: spaces instead, so columns stay true
        data = _QUOTED.sub(rb" \1 ", data)
    head, _, body = data.partition(b"\n")
    header = _header_cells(head.decode("utf-8-sig", "replace"))
    if len(header) < 2 or header[0].strip().lower() not in ("timestamp", "time"):
        return None, [Problem.at(top, "", _header_problem(head, header), "input")]
    columns, at, problems = _columns(header, shown)
    n = len(header) - 1
    fast = decimals.csv_columns(body, n, workers)  # plain decimals: fast, already by column
    values, stamps = fast if fast is not None else (_loadtxt_columns(body, n), None)
    if values is None or ((values < 0) | (values > 100)).any():  # NaN (missing) compares False
        # the slow path is the authority: it reports every bad cell, or returns what it read
        # (numpy refuses some cells that are fine, e.g. one holding only spaces: missing)
        slow, found = _csv_slow(body, shown, n)
        problems += found
        if slow is None:
            return None, problems
        values = np.ascontiguousarray(slow.T)
    if stamps is None:
        stamps = [(i + 2, line.partition(b",")[0]) for i, line in enumerate(body.split(b"\n"))]
        stamps = [(line, stamp) for line, stamp in stamps if stamp.strip()]
    texts = tuple((line, stamp.decode("utf-8", "replace").strip()) for line, stamp in stamps)
    return CsvSeries(columns, values, texts, at), problems


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
