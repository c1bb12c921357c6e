"""The output formats, chosen in one place: what each command offers, and the data writers.

A command hands :func:`render` its views: the data document (for json and yaml), a rich renderer
for people at a terminal (table), and plain lines (text: no box drawing, no padding, one host or
one move per line, for grep, awk and e-mail). json is written by one writer everywhere.
"""

from __future__ import annotations

import enum
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console


class Format(enum.StrEnum):
    TABLE = "table"  # rich tables, coloured on a terminal
    TEXT = "text"  # plain lines
    JSON = "json"
    YAML = "yaml"
    GITHUB = "github"  # GitHub Actions annotations
    HTML = "html"


class PlanFormat(enum.StrEnum):
    """What pack, evacuate and backtest write."""

    TABLE = Format.TABLE.value
    TEXT = Format.TEXT.value
    JSON = Format.JSON.value
    YAML = Format.YAML.value


class CheckFormat(enum.StrEnum):
    """What check writes."""

    TEXT = Format.TEXT.value
    JSON = Format.JSON.value
    GITHUB = Format.GITHUB.value


#: ``-o`` file extensions that choose a format when ``--format`` is not given.
BY_EXTENSION = {
    ".json": Format.JSON,
    ".yaml": Format.YAML,
    ".yml": Format.YAML,
    ".txt": Format.TEXT,
}


def from_extension(path: Path | None) -> Format | None:
    return None if path is None else BY_EXTENSION.get(path.suffix.lower())


def to_json(doc: dict[str, Any]) -> str:
    """Indented for people; compact (one line, C encoder) for fleets, where indenting is slow."""
    if len(doc.get("placement", {})) > 2000:
        return json.dumps(doc, separators=(",", ":")) + "\n"
    return json.dumps(doc, indent=2) + "\n"


def to_yaml(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


@dataclass(frozen=True, slots=True)
class Views:
    """What a command can show; each is built only when its format is asked for."""

    data: Callable[[], dict[str, Any]]
    table: Callable[[Console], None]
    text: Callable[[], list[str]]


def render(views: Views, fmt: PlanFormat, console: Console) -> str:
    """The output in ``fmt``; ``table`` prints into ``console``, which must record to a string."""
    if fmt is PlanFormat.JSON:
        return to_json(views.data())
    if fmt is PlanFormat.YAML:
        return to_yaml(views.data())
    if fmt is PlanFormat.TEXT:
        return "".join(f"{line}\n" for line in views.text())
    views.table(console)
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()
