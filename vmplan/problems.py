"""Problems are values: everything a user must fix, with the place in the input where it is.

The core never prints or exits; it returns (or raises, wrapped in :class:`InputError`) a list of
:class:`Problem` and lets the CLI render them and choose the exit code.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class Level(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A place in an input file; ``line`` and ``column`` are 1-based (0 when unknown)."""

    file: str
    line: int = 0
    column: int = 0


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input or the placement, anchored at a position in a file."""

    file: str
    line: int
    column: int
    path: str
    message: str
    rule: str
    level: Level = Level.ERROR

    @classmethod
    def at(
        cls,
        where: Position,
        path: str,
        message: str,
        rule: str,
        level: Level = Level.ERROR,
    ) -> Problem:
        return cls(where.file, where.line, where.column, path, message, rule, level)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.column, self.path, self.message)

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        path = f"{self.path}: " if self.path else ""
        return f"{place}: {self.level.value}: {path}{self.message}"


class VmplanError(Exception):
    """Base of every error the core raises on purpose."""


class PlanVerificationError(VmplanError):
    """A planner produced a plan the independent checker rejects: a bug, never output."""


class InputError(VmplanError):
    """The input is invalid; ``problems`` says where and why (all of them, not just the first)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The closest valid spelling of ``word`` among ``choices``, if any is close enough."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or the empty string."""
    best = closest(word, choices)
    return f" (did you mean '{best}'?)" if best else ""
