"""Reading typed values out of YAML nodes, recording a problem with its position for each one
that is not what was expected. A file's walk stops after :data:`MAX_PROBLEMS` problems.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

from vmplan import units
from vmplan.inventory import yamlnodes as yn
from vmplan.inventory.numbers import shown
from vmplan.inventory.specs import LIMIT_KEYS, Located
from vmplan.problems import Position, Problem, did_you_mean

#: Past this many problems in one file, more messages are noise (and, for a hostile file of
#: millions of bad entries, minutes of work): the walk stops and says so.
MAX_PROBLEMS = 1000

T = TypeVar("T")


class TooMany(Exception):
    """The file has :data:`MAX_PROBLEMS` problems; the walk stops."""


class Walker:
    """Helpers that read typed values out of nodes and record problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def at(self, node: yn.Node) -> Position:
        return yn.position(self.file, node)

    def error(self, node: yn.Node, path: str, message: str, rule: str = "schema") -> None:
        self.add([Problem.at(self.at(node), path, message, rule)])

    def add(self, problems: list[Problem]) -> None:
        self.problems += problems
        if len(self.problems) >= MAX_PROBLEMS:
            raise TooMany

    def mapping(
        self, node: yn.Node, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, tuple[yn.Node, yn.Node]] | None:
        """Keys of a mapping -> (key node, value node), reporting unknown, duplicate, missing."""
        if not isinstance(node, yn.Mapping):
            self.error(
                node,
                path,
                f"expected a mapping with keys {', '.join(allowed)}, got {yn.kind_name(node)}",
            )
            return None
        out: dict[str, tuple[yn.Node, yn.Node]] = {}
        for key, value in node.items:
            name = key.value if isinstance(key, yn.Scalar) else None
            where = f"{path}.{name}" if path else str(name)
            if name is None:
                self.error(key, path, f"expected a key that is a word, got {yn.kind_name(key)}")
            elif name == "<<":
                self.error(
                    key, path, "YAML merge keys ('<<') are not supported; write the keys out"
                )
            elif name not in allowed:
                self.error(
                    key,
                    where,
                    f"unknown key '{name}'{did_you_mean(name, allowed)}; expected one of {', '.join(allowed)}",
                )
            elif name in out:
                self.error(key, where, f"key '{name}' given twice", "duplicate")
            else:
                out[name] = (key, value)
        for name in required:
            if name not in out:
                self.error(node, path, f"missing required key '{name}'")
        return out

    def typed(
        self,
        node: yn.Node,
        path: str,
        expected: str,
        convert: Callable[[yn.PlainValue], T | None],
    ) -> T | None:
        """``convert`` the scalar's plain value, or report ``expected`` vs what was found."""
        if isinstance(node, yn.Scalar) and node.tag is None:
            try:
                value = convert(yn.plain_value(node))
            except ValueError as exc:
                self.error(node, path, str(exc))
                return None
            if value is not None:
                return value
        elif isinstance(node, yn.Scalar):
            self.error(
                node, path, f"YAML tags like '{node.tag}' are not supported; expected {expected}"
            )
            return None
        self.error(node, path, f"expected {expected}, got {yn.kind_name(node)}")
        return None

    def name(self, node: yn.Node, path: str) -> str | None:
        def conv(v: yn.PlainValue) -> str | None:
            if isinstance(v, bool) or v is None or isinstance(v, float):
                return None
            text = str(v).strip()
            return text or None

        return self.typed(node, path, "a name", conv)

    def positive(
        self, node: yn.Node, path: str, what: str, integer: bool, limit: int
    ) -> float | None:
        kind = "a whole number" if integer else "a number"

        def conv(v: yn.PlainValue) -> float | None:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return None
            if v > limit:  # exact for any int, and true for +inf
                raise ValueError(f"expected {kind} of {what} up to {limit:,}, got {shown(v)}")
            if integer and not isinstance(v, int):
                raise ValueError(f"expected a whole number of {what}, got {v!r}")
            if not math.isfinite(v) or v <= 0:
                raise ValueError(f"expected a number of {what} greater than 0, got {v!r}")
            return float(v)

        return self.typed(node, path, f"{kind} of {what}", conv)

    def unit(self, node: yn.Node, path: str, expected: str, parse: Callable[[str], T]) -> T | None:
        def conv(v: yn.PlainValue) -> T | None:
            if isinstance(v, bool) or v is None:
                return None
            return parse(str(v))

        return self.typed(node, path, expected, conv)

    def boolean(self, node: yn.Node, path: str) -> bool | None:
        return self.typed(node, path, "true or false", lambda v: v if isinstance(v, bool) else None)

    def limits(self, node: yn.Node, path: str) -> dict[str, Located[float]]:
        keys = self.mapping(node, path, LIMIT_KEYS)
        out: dict[str, Located[float]] = {}
        for name, (_, value) in (keys or {}).items():
            pct = self.unit(value, f"{path}.{name}", "a percentage like '80%'", units.parse_percent)
            if pct is not None:
                out[name] = Located(pct, self.at(value))
        return out

    def names(self, node: yn.Node, path: str) -> list[Located[str]]:
        if not isinstance(node, yn.Sequence) or not node.items:
            self.error(node, path, f"expected a non-empty list of names, got {yn.kind_name(node)}")
            return []
        out: list[Located[str]] = []
        for i, item in enumerate(node.items):
            name = self.name(item, f"{path}[{i}]")
            if name is None:
                continue
            if any(seen.value == name for seen in out):
                # a VM twice in one anti-affinity rule would have to be apart from itself
                self.error(item, f"{path}[{i}]", f"'{name}' is listed twice", "duplicate")
                continue
            out.append(Located(name, self.at(item)))
        return out
