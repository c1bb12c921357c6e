"""Edits at known places in a YAML text, so that everything else stays byte for byte the same.

PyYAML's node API (``yaml.compose``) gives every node its start and end mark; with the C parser a
mark's ``index`` counts characters (code points) of the text as given, which is what Python
slices by. A byte order mark is taken off before composing (it would shift every index by one)
and put back after. Only scalars are replaced and only key/value pairs are inserted: comments,
order, quoting, line ends and the rest of the text are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

BOM = "\ufeff"
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*")


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``text[start:end]`` with ``new`` (an insertion when ``start == end``)."""

    start: int
    end: int
    new: str


def compose(text: str) -> yaml.Node | None:
    """The node tree of ``text`` (already validated by the loader), byte order mark aside."""
    return yaml.compose(text.removeprefix(BOM), Loader=_Loader)


def apply_edits(text: str, edits: list[Edit]) -> str:
    """``text`` with every edit made; indices are those of :func:`compose` (without a BOM)."""
    bom = BOM if text.startswith(BOM) else ""
    body = text.removeprefix(BOM)
    out = []
    at = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if e.start < at:
            raise ValueError(f"overlapping edits at character {e.start}")
        out += [body[at : e.start], e.new]
        at = e.end
    out.append(body[at:])
    return bom + "".join(out)


def mapping_get(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key node, value node) of ``key`` in a mapping node, or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def anchored(text: str, node: yaml.Node) -> bool:
    """Whether ``node`` is written with an anchor (``&name value``): aliases elsewhere share it,
    and an alias resolves to this very node, so editing it would change every one of them."""
    return text.removeprefix(BOM)[node.start_mark.index : node.start_mark.index + 1] == "&"


def scalar_text(value: str, style: str | None) -> str:  # plain: None, or '' from the C parser
    """``value`` written as a YAML scalar that reads back as the string ``value``: plain when the
    original was plain and ``value`` is a plain word that YAML would not read as a number, a
    boolean or null; single-quoted when the original was and it can be; else double-quoted."""
    if not style and _PLAIN.fullmatch(value) and yaml.safe_load(value) == value:
        return value
    if style == "'" and all(_printable(c) for c in value):
        return "'" + value.replace("'", "''") + "'"
    return '"' + "".join(_escaped(c) for c in value) + '"'


def _printable(c: str) -> bool:
    return c == " " or unicodedata.category(c)[0] not in "CZ" or c == "\u3000"


def _escaped(c: str) -> str:
    if c in '"\\':
        return "\\" + c
    if _printable(c):
        return c
    code = ord(c)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def line_break(text: str) -> str:
    """The file's own line break: ``\\r\\n`` when its first line ends so, else ``\\n``."""
    at = text.find("\n")
    return "\r\n" if at > 0 and text[at - 1] == "\r" else "\n"


def set_key(text: str, mapping: yaml.MappingNode, key: str, value: str) -> Edit | None:
    """The edit that makes ``key: value`` (a plain scalar) hold in ``mapping``; None if it holds.

    An existing scalar value is replaced. A new pair goes after the last pair of a flow mapping
    (``{name: a, key: value}``), or in a block mapping on a line of its own after the line of
    its ``name`` (else its first one-line pair), at that indentation, after any comment there.
    """
    found = mapping_get(mapping, key)
    if found is not None:
        _, node = found
        if not isinstance(node, yaml.ScalarNode) or anchored(text, node):
            raise ValueError(f"'{key}' is not a plain scalar of its own")
        if not node.style and yaml.safe_load(node.value) == yaml.safe_load(value):
            return None
        return Edit(node.start_mark.index, node.end_mark.index, value)
    body = text.removeprefix(BOM)
    if mapping.flow_style:
        end = mapping.value[-1][1].end_mark.index
        return Edit(end, end, f", {key}: {value}")
    one_line = [
        (k, v)
        for k, v in mapping.value
        if isinstance(v, yaml.ScalarNode) and v.start_mark.line == v.end_mark.line
    ]
    if not one_line:
        raise ValueError(f"no one-line pair to put '{key}' after")
    first_key, first_value = next((p for p in one_line if p[0].value == "name"), one_line[0])
    end = first_value.end_mark.index
    eol = len(body)
    for brk in ("\n", "\r"):
        at = body.find(brk, end)
        if at >= 0:
            eol = min(eol, at)
    indent = " " * first_key.start_mark.column
    return Edit(eol, eol, f"{line_break(body)}{indent}{key}: {value}")
