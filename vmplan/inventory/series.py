"""CPU series written inline: YAML lists and whitespace-separated strings, into numpy.

Series values are utilisation in % of the VM's own vCPUs, 0..100. Missing samples (YAML null)
come back as NaN so the loader can fill them conservatively; anything else that is not a number
in range is a problem with a position, with advice for the usual mistakes (:func:`hint`).
Wide CSV files are read by :mod:`.csvseries`.
"""

from __future__ import annotations

import io
import math
import re
import warnings

import numpy as np

from vmplan.inventory import numbers
from vmplan.inventory import yamlnodes as yn
from vmplan.model import FloatArray
from vmplan.problems import Position, Problem

RULE = "series"
_TOKEN = re.compile(r"\S+")


def range_problem(value: float) -> str:
    if isinstance(value, int) and not -1e300 < value < 1e300:  # no float holds it
        return f"expected a value from 0 to 100 (% of the VM's vCPUs), got {numbers.shown(value)}"
    if math.isnan(value):
        return "expected a number from 0 to 100 (% of the VM's vCPUs), got NaN"
    if math.isinf(value):
        return "expected a number from 0 to 100 (% of the VM's vCPUs), got infinity"
    return f"expected a value from 0 to 100 (% of the VM's vCPUs), got {value:g}"


_MISSING_WORDS = frozenset({"-", "--", "?", "n/a", "na", "none", "nan", "null", "~"})


def hint(token: str, missing: str) -> str:
    """Advice for a sample that is not a number in range: ``missing`` says how a missing sample
    is written where the token was found (null in YAML, an empty cell in a CSV)."""
    low = token.lower()
    if low in _MISSING_WORDS:
        return f"; {missing} for a missing sample"
    if token.endswith("%") and numbers.sample(token[:-1].strip()) is not None:
        return "; write the number without '%'"
    if "," in token and all(numbers.sample(p) is not None for p in token.split(",") if p):
        return "; separate samples with spaces, not commas"
    return ""


YAML_MISSING = "use null"
CSV_MISSING = "leave the cell empty"


def from_sequence(file: str, path: str, node: yn.Sequence) -> tuple[FloatArray, list[Problem]]:
    """A YAML list of numbers (null = missing)."""
    problems: list[Problem] = []
    values = np.empty(len(node.items), dtype=np.float64)
    for i, item in enumerate(node.items):
        value = yn.plain_value(item) if isinstance(item, yn.Scalar) else "?"
        if value is None:
            values[i] = np.nan
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(
                Problem.at(
                    yn.position(file, item),
                    f"{path}[{i}]",
                    f"expected a number from 0 to 100, got {yn.kind_name(item)}"
                    + (hint(item.value, YAML_MISSING) if isinstance(item, yn.Scalar) else ""),
                    RULE,
                )
            )
            values[i] = 0
            continue
        if not 0 <= value <= 100:  # before float(): a 400-digit integer has no float
            message = range_problem(value) + (hint("nan", YAML_MISSING) if value != value else "")
            problems.append(Problem.at(yn.position(file, item), f"{path}[{i}]", message, RULE))
            values[i] = 0
            continue
        values[i] = value
    return values, problems


def from_string(file: str, path: str, node: yn.Scalar) -> tuple[FloatArray, list[Problem]]:
    """A string of whitespace-separated numbers: numpy's C parser first, a precise pass on error.

    ``loadtxt`` reads a long series about twice as fast as ``fromstring``; a string folded over
    lines comes back as rows, which ``ravel`` puts back in order.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            values = np.loadtxt(
                io.StringIO(node.value), dtype=np.float64, comments=None, ndmin=1
            ).ravel()
            parsed = True
        except (ValueError, UserWarning):  # a bad token, ragged rows, or no data at all
            parsed = False
    if parsed and np.isfinite(values).all() and ((values >= 0) & (values <= 100)).all():
        return values, []
    return _string_slow(file, path, node)


def _string_slow(file: str, path: str, node: yn.Scalar) -> tuple[FloatArray, list[Problem]]:
    problems: list[Problem] = []
    out: list[float] = []
    # a token's column is exact when the scalar is written verbatim on one line (a quoted one
    # starts after its quote); a folded, escaped or block scalar points at its start instead
    shift = 0 if node.plain else 1
    for i, m in enumerate(_TOKEN.finditer(node.value)):
        token = m.group(0)
        if node.verbatim:
            where = Position(file, node.line, node.column + shift + m.start())
        else:
            where = yn.position(file, node)
        if token in ("null", "~"):
            out.append(float("nan"))
            continue
        f = numbers.sample(token)
        if f is None:
            message = f"expected a number from 0 to 100, got {token!r}" + hint(token, YAML_MISSING)
            problems.append(Problem.at(where, f"{path}[{i}]", message, RULE))
            out.append(0.0)
            continue
        if not 0 <= f <= 100:
            message = range_problem(f) + hint(token, YAML_MISSING)
            problems.append(Problem.at(where, f"{path}[{i}]", message, RULE))
        out.append(f)
    return np.asarray(out, dtype=np.float64), problems
