"""The number rules of the inventory format, in one place.

**YAML values.** A *plain* (unquoted, untagged) scalar is typed as follows; a quoted one is
always text.

- null: ``~``, ``null``, ``Null``, ``NULL`` or nothing;
- a boolean: ``true``/``false``, and ``yes``/``no``, ``on``/``off``, each in lower, Title or UPPER
  case (YAML 1.1's words, as PyYAML's safe loader reads them, so ``maintenance: yes`` works);
- an integer: :data:`INTEGER`, optional sign and decimal digits (``7``, ``-3``, ``007`` is 7);
- a float: :data:`DECIMAL`, optional sign, digits with an optional point, an optional exponent
  (``0.5``, ``.5``, ``5.``, ``1e5``, ``1.5e3``, ``2E-1``), or ``.inf``, ``-.inf``, ``.nan`` (also
  ``.Inf``, ``.INF``, ``.NaN``, ``.NAN``);
- anything else is text: hexadecimal and octal (``0x1F``, ``0o17``), digit separators (``1_000``)
  and sexagesimal (``1:30``) are not numbers.

These are the YAML 1.2 core schema's decimal forms (its ``0x``/``0o`` forms aside): ``1e5`` and
``1.5e3`` are both numbers.

**Series.** A sample in an inline string (``cpu: "12 15.5 1e1"``) or in a CSV cell is a
:data:`DECIMAL` too; ``null`` or ``~`` in a string and an empty CSV cell are a missing sample.

**Sizes.** An integer literal is read exactly; one longer than :data:`MAX_INT_DIGITS` digits
(Python refuses to convert more at once) reads as an infinite float. Every numeric field has an
upper bound and refuses what lies beyond it, with its position, so no number is too large to be
reported.
"""

from __future__ import annotations

import math
import re

#: An integer, as a regular expression of Python and of JSON Schema (ECMA 262) alike.
INTEGER = r"[-+]?[0-9]+"
#: A decimal number: sign, digits with an optional point, an optional exponent.
DECIMAL = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
#: Python's limit on the digits of one int conversion (``sys.get_int_max_str_digits``).
MAX_INT_DIGITS = 4300

_INTEGER = re.compile(INTEGER)
_DECIMAL = re.compile(DECIMAL)
_SPECIAL = {
    **{f"{s}{w}": math.inf for s in ("", "+") for w in (".inf", ".Inf", ".INF")},
    **{f"-{w}": -math.inf for w in (".inf", ".Inf", ".INF")},
    **{w: math.nan for w in (".nan", ".NaN", ".NAN")},
}


def plain_number(text: str) -> int | float | None:
    """The number a plain YAML scalar denotes, or None when it is not a number."""
    if _INTEGER.fullmatch(text):
        if len(text.lstrip("+-")) > MAX_INT_DIGITS:
            return -math.inf if text.startswith("-") else math.inf
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    return _SPECIAL.get(text)


def sample(token: str) -> float | None:
    """A series sample (an inline string's token, a CSV cell) as a float, or None when it is not
    a :data:`DECIMAL`. ``nan``, ``inf`` and ``infinity`` (any case, signed) come back as such, so
    that their message can say what they are."""
    if _DECIMAL.fullmatch(token) or token.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        return float(token)
    return None


def shown(value: float) -> str:
    """A number for a message: as Python prints it, a long one shortened."""
    text = repr(value) if isinstance(value, float) else str(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} digits)"
