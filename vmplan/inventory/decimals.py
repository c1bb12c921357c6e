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
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from vmplan.model import FloatArray

#: Rows per block: few enough numpy calls per block, blocks small enough to share out.
BLOCK_ROWS = 64
#: Threads at most (a block is small; more threads mostly wait for the GIL).
WORKERS = 2
_COMMA, _DOT, _ZERO = 44, 46, 48
_POW10 = 10.0 ** np.arange(17)
_DIGIT = np.zeros((16, 256))  # _DIGIT[k][byte]: the digit ``byte`` in place k, i.e. d * 10**k
_DIGIT[:, _ZERO : _ZERO + 10] = np.arange(10)[None, :] * _POW10[:16, None]
_NO_DOT = 99  # "digits after the dot" of a cell without a dot: never below the digit index
_DIVISOR = np.ones(_NO_DOT + 1)  # by digits after the dot: 10**frac, and 1 without a dot
_DIVISOR[:17] = _POW10


def parse_cells(buf: np.ndarray, n_cells: int) -> FloatArray | None:
    """Cells of ``buf`` (bytes as uint8, every cell ended by a comma) as floats, NaN when empty.

    None when the block does not hold exactly ``n_cells`` plain decimals and empty cells.
    """
    comma = buf == _COMMA
    ends = np.flatnonzero(comma)
    if ends.size != n_cells or n_cells == 0:
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


def csv_columns(body: bytes, n: int, workers: int = WORKERS) -> tuple[FloatArray, Stamps] | None:
    """The ``n`` value columns of CSV rows ``stamp,v1,..,vn`` as an (n, rows) array, with each
    row's line and stamp (``body`` starts at line 2, after the header); or None.

    Blank lines are skipped. None when a row has another number of cells or a cell is not a plain
    decimal (the caller's general parser then decides and reports).
    """
    rows = []  # the lines themselves: cutting off each stamp here would copy the whole body
    firsts = []  # where each row's first comma is
    stamps: Stamps = []
    for i, line in enumerate(body.split(b"\n")):
        if line:
            comma = line.find(b",")
            if comma < 0 or line.count(b",") != n:
                return None
            rows.append(line)
            firsts.append(comma + 1)
            stamps.append((i + 2, line[:comma]))
    if not rows or n == 0:
        return None
    out = np.empty((n, len(rows)), dtype=np.float64)

    def block(k: int) -> bool:
        part = rows[k : k + BLOCK_ROWS]
        cells = [row[first:] for row, first in zip(part, firsts[k : k + BLOCK_ROWS], strict=True)]
        buf = np.frombuffer(b",".join(cells) + b",", dtype=np.uint8)
        values = parse_cells(buf, n * len(part))
        if values is None:
            return False
        out[:, k : k + len(part)] = values.reshape(len(part), n).T
        return True

    starts = range(0, len(rows), BLOCK_ROWS)
    workers = min(workers, os.cpu_count() or 1, len(starts))
    if workers <= 1:
        done = all(block(k) for k in starts)
    else:
        with ThreadPoolExecutor(workers) as pool:
            done = all(pool.map(block, starts))
    return (out, stamps) if done else None
