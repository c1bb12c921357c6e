"""How a command ended, as a value; :mod:`vmplan.cli` alone turns it into an exit code."""

from __future__ import annotations

import enum


class Outcome(enum.Enum):
    OK = "ok"  # exit 0
    FINDINGS = "findings"  # exit 1: check errors, no feasible plan, a replay over a limit
    INVALID = "invalid"  # exit 2: invalid input or usage, output that cannot be written


class Stop(Exception):
    """Ends a command early with ``outcome``, once what went wrong has been said."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome
