"""A plan as the steps of a script: its waves of moves, by name, and the summary for the header."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from vmplan.model import Inventory, Plan
from vmplan.timefmt import format_duration
from vmplan.units import plural


@dataclass(frozen=True, slots=True)
class Step:
    """One migration. ``later`` holds the hosts this VM's later moves take it to: a rerun that
    finds it on one of them (or on ``target``) knows this move is already done."""

    wave: int
    vm: str
    source: str
    target: str
    seconds: float
    temporary: bool
    later: tuple[str, ...] = ()

    @property
    def duration(self) -> str:
        return format_duration(self.seconds)


@dataclass(frozen=True, slots=True)
class ScriptOptions:
    """What a script needs besides the plan: how it was made, and the tool's settings.

    ``inputs`` are ``(path, sha256 hex)`` of the inventory files; ``uri`` a template with
    ``{host}`` (virsh connection URIs, qm's ssh destination); ``extra`` words appended to every
    migration command; ``ids`` the numeric VM ids qm needs, by VM name; ``clusters`` the clusters
    whose moves the script holds, when the inventory names clusters (empty otherwise).
    """

    inputs: tuple[tuple[str, str], ...] = ()
    command_line: str = ""
    version: str = ""
    uri: str | None = None
    extra: tuple[str, ...] = ()
    ids: Mapping[str, int] = field(default_factory=dict)
    clusters: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Steps:
    command: str
    hosts_before: int
    hosts_after: int
    freed: tuple[str, ...]
    waves: tuple[tuple[Step, ...], ...]
    total_seconds: float

    @property
    def moves(self) -> int:
        return sum(len(w) for w in self.waves)

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host a move leaves or reaches, in order of first appearance."""
        seen: dict[str, None] = {}
        for wave in self.waves:
            for s in wave:
                seen.setdefault(s.source)
                seen.setdefault(s.target)
        return tuple(seen)

    def summary(self) -> str:
        """``pack: 8 -> 4 hosts (4 freed), 27 migrations in 4 waves, about 13m``."""
        freed = f" ({len(self.freed)} freed)" if self.freed else ""
        return (
            f"{self.command}: {self.hosts_before} -> {self.hosts_after} hosts{freed}, "
            f"{plural(self.moves, 'migration')} in {plural(len(self.waves), 'wave')}, "
            f"about {format_duration(self.total_seconds)}"
        )


def steps_of(plan: Plan, inv: Inventory) -> Steps:
    """The plan's moves by wave, in plan order within a wave."""
    n = len(inv.hosts)
    before = np.bincount(plan.before, minlength=n) > 0
    after = np.bincount(plan.target, minlength=n) > 0
    freed = tuple(inv.hosts[h].name for h in range(n) if before[h] and not after[h])
    ordered = sorted(plan.moves, key=lambda m: m.wave)
    by_wave: list[list[Step]] = [[] for _ in range(plan.waves)]
    for i, m in enumerate(ordered):
        later = tuple(inv.hosts[o.target].name for o in ordered[i + 1 :] if o.vm == m.vm)
        by_wave[m.wave - 1].append(
            Step(
                m.wave,
                inv.vms[m.vm].name,
                inv.hosts[m.source].name,
                inv.hosts[m.target].name,
                m.seconds,
                m.temporary,
                later,
            )
        )
    return Steps(
        plan.command,
        int(before.sum()),
        int(after.sum()),
        freed,
        tuple(tuple(w) for w in by_wave if w),
        plan.total_seconds,
    )
