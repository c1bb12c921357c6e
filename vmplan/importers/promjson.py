"""Prometheus ``query_range`` responses (``resultType: matrix``) read fast, in bounded memory.

A response for 1,000 VMs over a week holds two million ``[time, "value"]`` pairs; ``json.loads``
would build a Python list and a string for every one of them. The fast path walks the text with
anchored regular expressions, one series at a time, and hands each ``values`` array to numpy's
C parser; only the small ``metric`` objects go through :mod:`json`. Anything it does not expect
(another key order, a label value with a brace) falls back to the plain :func:`json.loads`, so
the result is the same either way, and problems name the file, line and column.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass

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


def _fast(data: bytes, last_only: bool) -> list[Matrix] | None:
    m = _HEAD.match(data)
    if m is None:
        return None
    pos = m.end()
    out: list[Matrix] = []
    if _EMPTY.match(data, pos):
        return out  # an empty result: the slow path checks the tail, it is small
    while True:
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
            pos = empty.end()
        else:
            end = _VALUES_END.search(data, s.end())
            if end is None:
                return None
            block = data[s.end() : end.start() + 1]
            if last_only:  # only the latest sample is wanted (vCPUs, memory, host sizes)
                block = block[block.rfind(b"[") :]
            numbers = _pairs(block)
            pos = end.end()
        if numbers is None:
            return None
        out.append(Matrix(labels, numbers[0::2].copy(), numbers[1::2].copy()))
        tail = _SERIES_END.match(data, pos)
        if tail is None:
            return None
        pos = tail.end()
        if tail.group(1) == b"]":
            break
    tail_text = bytes(data[pos:])
    if len(tail_text) > 1 << 20:
        return None
    try:  # the rest is the closing of data (and perhaps warnings, stats): small
        rest = json.loads(b'{"x":{"y":[' + b"]" + tail_text)
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


def parse(data: bytes, shown: str, last_only: bool = False) -> list[Matrix]:
    """The series of a ``query_range`` response; :class:`InputError` names ``shown`` and where.

    With ``last_only`` each series keeps only its last sample (the latest, as the server sorts
    them), which is all that vCPUs, memory and host sizes need.
    """
    start = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    view = data[start:] if start else data
    fast = _fast(view, last_only)
    if fast is not None:
        return fast
    found = _slow(bytes(view), shown)
    if last_only:
        found = [
            Matrix(m.labels, m.times_s[-1:].copy(), m.values[-1:].copy()) if m.times_s.size else m
            for m in found
        ]
    return found
