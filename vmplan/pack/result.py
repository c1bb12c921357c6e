"""What :func:`vmplan.pack.pack` returns: the plan, the bounds, the hosts/migrations frontier."""

from __future__ import annotations

from dataclasses import dataclass

from vmplan.engine.bounds import Bounds
from vmplan.model import Plan


@dataclass(frozen=True, slots=True)
class FrontierPoint:
    hosts: int
    migrations: int


@dataclass(frozen=True, slots=True, eq=False)
class PackResult:
    plan: Plan
    bounds: Bounds
    frontier: tuple[FrontierPoint, ...]
    strategy: str
    cut: bool = False  # the time limit stopped the search before every strategy finished


def pareto(points: list[tuple[int, int]]) -> tuple[FrontierPoint, ...]:
    """Points no other point beats on both hosts and migrations, fewest migrations first."""
    best: dict[int, int] = {}
    for h, m in points:
        best[h] = min(m, best.get(h, m))
    out: list[FrontierPoint] = []
    for h in sorted(best, reverse=True):
        if not out or best[h] > out[-1].migrations or h < out[-1].hosts:
            while out and best[h] <= out[-1].migrations:
                out.pop()
            out.append(FrontierPoint(h, best[h]))
    return tuple(out)
