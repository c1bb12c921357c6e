"""A vectorised reader for the common case of a wide CSV: cells that are plain decimals.

A cell like ``12``, ``0.5``, ``100.`` or ``.25`` (up to 15 digits and at most one dot)
or an empty cell is read here, with numpy over whole blocks of rows; anything else (signs,
exponents, spaces, quotes, text) makes :func:`csv_columns` return None, and the caller falls back
to numpy's general parser and then to the pass that reports every bad cell with its position.

How a block is read: every cell ends at a comma; the k-th digit from a cell's end (skipping its
dot) is gathered for all cells at once, for k = 1 .. the widest cell, and added times 10**(k-1)
to the cell's mantissa. A mantissa below 10**15 is an exact integer in a float64, and dividing it
by 10**(digits after the dot) is then correctly rounded: the result is bit for bit what ``float()``
gives. Blocks are independent, so they run on a few threads (numpy releases the GIL in its loops).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from vmplan.model import FloatArray

#: Cells per block (whole rows, at least one): few enough numpy calls per block, blocks small
#: enough to share out, and their temporary arrays (a dozen of 8 bytes per cell) small.
BLOCK_CELLS = 1 << 16
#: Threads at most (a block is small; more threads mostly wait for the GIL).
WORKERS = 2
_COMMA, _DOT, _ZERO = 44, 46, 48
_POW10 = 10.0 ** np.arange(17)
_DIGIT = np.zeros((16, 256))  # _DIGIT[k][byte]: the digit ``byte`` in place k, i.e. d * 10**k
_DIGIT[:, _ZERO : _ZERO + 10] = np.arange(10)[None, :] * _POW10[:16, None]
_NO_DOT = 99  # "digits after the dot" of a cell without a dot: never below the digit index
_DIVISOR = np.ones(_NO_DOT + 1)  # by digits after the dot: 10**frac, and 1 without a dot
_DIVISOR[:17] = _POW10


def parse_cells(
    buf: np.ndarray, n_cells: int, row_ends: np.ndarray | None = None
) -> FloatArray | None:
    """Cells of ``buf`` (bytes as uint8, every cell ended by a comma) as floats, NaN when empty.

    None when the block does not hold exactly ``n_cells`` plain decimals and empty cells, or,
    with ``row_ends`` (the comma that ends each row's last cell), when a row does not hold its
    share of them (the right total alone could hide a row with a cell too many beside one with
    one too few).
    """
    comma = buf == _COMMA
    ends = np.flatnonzero(comma)
    if ends.size != n_cells or n_cells == 0:
        return None
    if row_ends is not None:
        per_row = n_cells // max(row_ends.size, 1)
        if not np.array_equal(ends[per_row - 1 :: per_row], row_ends):
            return None
    is_dot = buf == _DOT
    if not (((buf - np.uint8(_ZERO)) < 10) | comma | is_dot).all():
        return None
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    length = ends - starts
    digits = length
    frac = None
    divisor = None
    dots = np.flatnonzero(is_dot)  # sorted, like the ends
    if dots.size == n_cells and (dots < ends).all() and (dots[1:] > ends[:-1]).all():
        frac = ends - dots - 1  # one dot in every cell, the usual export: no search
        digits = length - 1
        divisor = _POW10.take(frac)
    elif dots.size:
        # look for each cell's dot from its end: a few passes over the cells beat mapping every
        # dot to its cell by a search over the ends; each dot is met once, by its own cell
        frac = np.full(n_cells, _NO_DOT, dtype=np.int64)
        left = dots.size
        for k in range(1, int(length.max()) + 1):
            hit = (buf.take(ends - k) == _DOT) & (k <= length)
            frac[hit] = k - 1
            left -= int(np.count_nonzero(hit))
            if not left:  # every dot found (one decimal: after two passes)
                break
        dotted = frac != _NO_DOT
        if np.count_nonzero(dotted) != dots.size:
            return None  # a cell with two dots (one was found over the other)
        digits = length - dotted
        divisor = _DIVISOR.take(frac)
    if ((digits == 0) & (length > 0)).any():
        return None  # a dot alone
    width = int(digits.max())
    if width > 15:
        return None
    mantissa = np.zeros(n_cells)
    for k in range(1, width + 1):
        at = ends - k
        if frac is not None:
            at -= frac < k  # past the dot: one byte further left
        # the byte's digit times 10**(k-1), from a table of 256 (bytes that are no digit: 0)
        np.add(mantissa, _DIGIT[k - 1].take(buf.take(at)), out=mantissa, where=k <= digits)
    if divisor is not None:
        mantissa /= divisor
    mantissa[length == 0] = np.nan
    return mantissa


Stamps = list[tuple[int, bytes]]  # (line number in the file, first cell) of every row
#: The rows of a CSV's body (after its header), as a fresh iterator of pieces of whole lines.
Pieces = Callable[[], Iterable[bytes]]


def csv_columns(body: Pieces, n: int, workers: int = WORKERS) -> tuple[FloatArray, Stamps] | None:
    """The ``n`` value columns of CSV rows ``stamp,v1,..,vn`` as an (n, rows) array, with each
    row's line and stamp (the body starts at line 2, after the header); or None.

    ``body`` is read twice, a piece at a time: to count the rows, then into the array made for
    them, so that the text is never held whole beside the array. Blank lines are skipped. None
    when a row has another number of cells or a cell is not a plain decimal (the caller's general
    parser then decides and reports).
    """
    rows = sum(_rows(piece) for piece in body())
    if not rows or n == 0:
        return None
    out = np.empty((n, rows), dtype=np.float64)
    stamps: Stamps = []
    lineno = 2
    threads = max(1, min(workers, os.cpu_count() or 1))
    with ThreadPoolExecutor(threads) as pool:
        for piece in body():
            lines = piece.split(b"\n")
            done = len(stamps)
            part = _piece(lines, lineno, stamps)
            lineno += len(lines) - 1
            if part is None or len(stamps) > rows:  # the file changed since it was counted
                return None
            if not _fill(out, done, part, n, pool, threads):
                return None
    return (out, stamps) if len(stamps) == rows else None


def _rows(piece: bytes) -> int:
    """The lines of a piece that are not blank (counted without splitting it when none is)."""
    if b"\n\n" in piece:
        return sum(1 for line in piece.split(b"\n") if line)
    if not piece:
        return 0
    return piece.count(b"\n") + 1 - piece.startswith(b"\n") - piece.endswith(b"\n")


def _piece(lines: list[bytes], lineno: int, stamps: Stamps) -> list[memoryview] | None:
    """The cells of a piece's rows (each row after its stamp); the stamps with their line numbers
    go to ``stamps``. None when a row has no cell after its stamp (the number of cells of every
    row is checked when its block is read)."""
    cells: list[memoryview] = []
    for i, line in enumerate(lines):
        if line:
            comma = line.find(b",")
            if comma < 0:
                return None
            cells.append(memoryview(line)[comma + 1 :])
            stamps.append((lineno + i, line[:comma]))
    return cells


def _fill(
    out: FloatArray,
    first: int,
    cells: list[memoryview],
    n: int,
    pool: ThreadPoolExecutor,
    threads: int,
) -> bool:
    """Rows ``cells`` into ``out`` from its column ``first``, in blocks shared out to the pool's
    ``threads``; False when a cell is not a plain decimal."""
    if not cells:
        return True
    size = max(1, min(BLOCK_CELLS // n, -(-len(cells) // threads)))  # a block for every thread

    def block(k: int) -> bool:
        part = cells[k : k + size]
        buf = np.frombuffer(b",".join([*part, b""]), dtype=np.uint8)  # every cell ends at a comma
        lengths = np.fromiter((len(row) for row in part), dtype=np.int64, count=len(part))
        values = parse_cells(buf, n * len(part), np.cumsum(lengths + 1) - 1)
        if values is None:
            return False
        out[:, first + k : first + k + len(part)] = values.reshape(len(part), n).T
        return True

    return all(pool.map(block, range(0, len(cells), size)))
