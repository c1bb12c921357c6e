"""A JSON file whose top level is an array (what ``pvesh ... --output-format json`` writes), read
entry by entry so that every entry keeps the line and column where it starts."""

from __future__ import annotations

import json
from pathlib import Path

from vmplan.importers import tables
from vmplan.problems import InputError, Position, Problem

RULE = "input"
_WS = " \t\r\n"


def _where(shown: str, text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset) + 1
    return Position(shown, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def read_array(
    path: Path, shown: str, max_bytes: int = tables.MAX_BYTES
) -> list[tuple[Position, object]]:
    """Every entry of the file's top-level array with its position; :class:`InputError` else."""
    text = tables.read_text(path, shown, "JSON", max_bytes)
    decoder = json.JSONDecoder()
    i = len(text) - len(text.lstrip(_WS))
    if not text.startswith("[", i):
        if text.strip().startswith("{") and '"data"' in text[:200]:
            hint = '; save it with --output-format json (pvesh), not the API\'s {"data": ...}'
        else:
            hint = ""
        where = _where(shown, text, i)
        raise InputError([Problem.at(where, "", f"expected a JSON array of entries{hint}", RULE)])
    i += 1
    out: list[tuple[Position, object]] = []
    while True:
        while i < len(text) and text[i] in _WS:
            i += 1
        if i < len(text) and text[i] == "]" and not out:
            i += 1
            break
        try:
            value, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            where = _where(shown, text, exc.pos)
            raise InputError([Problem.at(where, "", f"not JSON: {exc.msg}", RULE)]) from None
        out.append((_where(shown, text, i), value))
        i = end
        while i < len(text) and text[i] in _WS:
            i += 1
        if i < len(text) and text[i] == ",":
            i += 1
            continue
        if i < len(text) and text[i] == "]":
            i += 1
            break
        where = _where(shown, text, i)
        raise InputError([Problem.at(where, "", "not JSON: expected ',' or ']'", RULE)])
    if text[i:].strip(_WS):
        where = _where(shown, text, i)
        raise InputError([Problem.at(where, "", "not JSON: extra data after the array", RULE)])
    return out
