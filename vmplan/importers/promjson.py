"""Prometheus ``query_range`` responses (``resultType: matrix``) read fast, in bounded memory.

A response for 1,000 VMs over a week holds two million ``[time, "value"]`` pairs; ``json.loads``
would build a Python list and a string for every one of them. The fast path walks the text with
anchored regular expressions, one series at a time, and hands each ``values`` array to numpy's
C parser; only the small ``metric`` objects go through :mod:`json`. Anything it does not expect
(another key order, a label value with a brace) falls back to the plain :func:`json.loads`, so
the result is the same either way, and problems name the file, line and column.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from vmplan.model import FloatArray
from vmplan.problems import InputError, Problem

RULE = "prometheus"

_WS = rb"\s*"
_HEAD = re.compile(
    rb'\s*\{\s*"status"\s*:\s*"success"\s*,\s*"data"\s*:\s*\{\s*"resultType"\s*:\s*"matrix"\s*,'
    rb'\s*"result"\s*:\s*\['
)
_SERIES = re.compile(rb'\s*\{\s*"metric"\s*:\s*(\{[^{}\[\]]*\})\s*,\s*"values"\s*:\s*\[')
_EMPTY = re.compile(rb"\s*\]")
_VALUES_END = re.compile(rb"\]\s*\]")
_SERIES_END = re.compile(rb"\s*\}\s*(,|\])")
_STRIP = bytes.maketrans(b'[]"', b"   ")


@dataclass(frozen=True, slots=True, eq=False)
class Matrix:
    """One series of a response: its labels and its samples (Unix seconds, float values)."""

    labels: dict[str, str]
    times_s: FloatArray
    values: FloatArray


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def _pairs(block: bytes) -> FloatArray | None:
    flat = block.translate(_STRIP).replace(b"\n", b" ")
    if not flat.strip():
        return np.empty(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            numbers = np.fromstring(flat.replace(b" ", b""), sep=",")
        except (ValueError, DeprecationWarning):
            return None
    numbers = np.asarray(numbers, dtype=np.float64)
    return numbers if numbers.size % 2 == 0 else None


class _Stream:
    """A window on a binary file: what is parsed is dropped, more is read when a match needs it."""

    def __init__(self, f: BinaryIO, chunk: int) -> None:
        self.f = f
        self.chunk = chunk
        self.data = b""
        self.eof = False

    def more(self, keep: int) -> bool:
        """Drop ``data[:keep]`` and read another chunk; False (and nothing dropped) at the end
        of the file."""
        block = b"" if self.eof else self.f.read(self.chunk)
        if not block:
            self.eof = True
            return False
        self.data = self.data[keep:] + block
        return True


def _one(data: bytes, pos: int, last_only: bool) -> tuple[Matrix, int, bool] | None:
    """The series at ``pos``, the position after it, and whether it was the last; None when
    ``data`` ends before it does or it is not what the fast path expects."""
    s = _SERIES.match(data, pos)
    if s is None:
        return None
    try:
        labels = json.loads(s.group(1))
    except ValueError:
        return None
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        return None
    empty = _EMPTY.match(data, s.end())
    if empty is not None:
        numbers: FloatArray | None = np.empty(0)
        after = empty.end()
    else:
        end = _VALUES_END.search(data, s.end())
        if end is None:
            return None
        block = data[s.end() : end.start() + 1]
        if last_only:  # only the latest sample is wanted (vCPUs, memory, host sizes)
            block = block[block.rfind(b"[") :]
        numbers = _pairs(block)
        after = end.end()
    tail = _SERIES_END.match(data, after)
    if numbers is None or tail is None:
        return None
    matrix = Matrix(labels, numbers[0::2].copy(), numbers[1::2].copy())
    return matrix, tail.end(), tail.group(1) == b"]"


def _fast(f: BinaryIO, last_only: bool, chunk: int) -> list[Matrix] | None:
    """The series, read chunk by chunk; None where the slow path must decide."""
    buf = _Stream(f, chunk)
    buf.more(0)
    if buf.data[:3] == b"\xef\xbb\xbf":
        buf.data = buf.data[3:]
    m = _HEAD.match(buf.data)
    if m is None:
        return None
    pos = m.end()
    out: list[Matrix] = []
    empty = _EMPTY.match(buf.data, pos)
    done = empty is not None
    if empty is not None:
        pos = empty.end()
    while not done:
        got = _one(buf.data, pos, last_only)
        while got is None:  # the series may run past what is read so far
            if not buf.more(pos):
                return None
            pos = 0
            got = _one(buf.data, pos, last_only)
        matrix, pos, done = got
        out.append(matrix)
    while buf.more(pos):  # the rest closes data (and may hold warnings, stats): small
        pos = 0
        if len(buf.data) > 1 << 20:
            return None
    try:
        rest = json.loads(b'{"x":{"y":[' + b"]" + buf.data[pos:])
    except ValueError:
        return None
    return out if isinstance(rest, dict) else None


def _slow(data: bytes, shown: str) -> list[Matrix]:
    def fail(message: str, offset: int = 0) -> InputError:
        line, col = _position(data, offset) if offset else (0, 0)
        return InputError([Problem(shown, line, col, "", message, RULE)])

    try:
        doc = json.loads(data)
    except UnicodeDecodeError:
        raise fail("expected UTF-8 JSON, found other bytes; save the response as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            [Problem(shown, exc.lineno, exc.colno, "", f"not JSON: {exc.msg}", RULE)]
        ) from None
    if not isinstance(doc, dict) or ("data" not in doc and "status" not in doc):
        raise fail('expected a Prometheus API response {"status": ..., "data": ...}')
    if doc.get("status") != "success":
        raise fail(f"the query failed: {doc.get('errorType', '')} {doc.get('error', '')}".strip())
    body = doc.get("data")
    if not isinstance(body, dict) or body.get("resultType") != "matrix":
        kind = body.get("resultType") if isinstance(body, dict) else None
        raise fail(
            f"expected a query_range response (resultType 'matrix'), got {kind!r}; "
            "save /api/v1/query_range, not /api/v1/query"
        )
    result = body.get("result")
    if not isinstance(result, list):
        raise fail("expected data.result to be a list")
    out: list[Matrix] = []
    for i, item in enumerate(result):
        metric = item.get("metric") if isinstance(item, dict) else None
        values = item.get("values") if isinstance(item, dict) else None
        if not isinstance(metric, dict) or not isinstance(values, list):
            raise fail(f"data.result[{i}]: expected 'metric' and 'values'")
        try:
            times = np.array([float(p[0]) for p in values], dtype=np.float64)
            vals = np.array([float(p[1]) for p in values], dtype=np.float64)
        except (TypeError, ValueError, IndexError):
            raise fail(f'data.result[{i}].values: expected [time, "number"] pairs') from None
        out.append(Matrix({str(k): str(v) for k, v in metric.items()}, times, vals))
    return out


def parse_file(
    f: BinaryIO, shown: str, last_only: bool = False, chunk: int = 1 << 23
) -> list[Matrix]:
    """The series of a ``query_range`` response read from ``f`` in chunks of ``chunk`` bytes,
    so that a large response is never held whole; :class:`InputError` names ``shown`` and where.

    With ``last_only`` each series keeps only its last sample (the latest, as the server sorts
    them), which is all that vCPUs, memory and host sizes need. Anything the fast path does not
    expect is read again whole by :func:`json.loads`, which decides.
    """
    fast = _fast(f, last_only, chunk)
    if fast is not None:
        return fast
    f.seek(0)
    data = f.read()
    found = _slow(data[3:] if data[:3] == b"\xef\xbb\xbf" else data, shown)
    if last_only:
        found = [
            Matrix(m.labels, m.times_s[-1:].copy(), m.values[-1:].copy()) if m.times_s.size else m
            for m in found
        ]
    return found


def parse(data: bytes, shown: str, last_only: bool = False) -> list[Matrix]:
    """:func:`parse_file` of a response held in memory."""
    return parse_file(io.BytesIO(data), shown, last_only)
