"""What the cluster options (``--cluster``, ``--jobs``, ``--scheduler``) mean to a command."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from vmplan.commands import output
from vmplan.fleet import UnknownCluster, Where, cluster_names
from vmplan.fleet.merge import longest_seconds
from vmplan.fleet.selection import Selection
from vmplan.fleet.selection import select as choose
from vmplan.fleet.split import Part
from vmplan.fleet.summary import cluster_entry
from vmplan.model import Inventory, Plan
from vmplan.problems import did_you_mean
from vmplan.render import formats
from vmplan.render import plan as render_plan
from vmplan.render.escape import cluster_label

if TYPE_CHECKING:
    from vmplan.engine.settings import Settings
    from vmplan.fleet.run import Solved

Progress = Callable[[str], None]


def select(inv: Inventory, names: list[str] | None) -> Inventory:
    """The inventory of the clusters ``--cluster`` names (all without it); an unknown name is a
    usage error that offers the closest one."""
    return selection(inv, names).inventory


def selection(inv: Inventory, names: list[str] | None) -> Selection:
    """The clusters ``--cluster`` names (all without it), for a command that reads a plan of
    the whole inventory and narrows it to them; an unknown name is a usage error."""
    try:
        return choose(inv, names or ())
    except UnknownCluster as exc:
        known = cluster_names(inv)
        listed = ", ".join(repr(n) for n in known)
        output.fail(
            f"--cluster: no host is in cluster '{exc}'{did_you_mean(str(exc), known)}; "
            f"the inventory has {listed}"
        )


def where(jobs: int | None, scheduler: str | None) -> Where:
    """``--jobs`` (default: the cores this process may use) and ``--scheduler``."""
    return Where(jobs or _cores(), scheduler)


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def named(inv: Inventory) -> bool:
    """Whether the inventory names clusters (the output then says per cluster)."""
    return cluster_names(inv) != ("",)


def json_extra(parts: tuple[Part, ...], plans: list[Plan]) -> dict[str, Any]:
    """The JSON's ``clusters`` list, and its ``total_seconds``: the longest cluster's, since
    clusters migrate at the same time."""
    return {
        "clusters": [cluster_entry(p.name, plan) for p, plan in zip(parts, plans, strict=True)],
        "total_seconds": round(longest_seconds(plans), 1),
    }


def evacuate(
    inv: Inventory, hosts: list[int], settings: Settings, where: Where, say: Progress
) -> Solved[Plan]:
    """``evacuate`` cluster by cluster; a scheduler that cannot be used is a usage error."""
    from vmplan.fleet.evacuating import evacuate_fleet  # the solver loads only for this command
    from vmplan.fleet.run import SchedulerError

    try:
        return evacuate_fleet(inv, hosts, settings, where, say)
    except SchedulerError as exc:
        output.fail(str(exc))


def with_clusters(
    views: formats.Views, inv: Inventory, parts: tuple[Part, ...], plans: tuple[Plan, ...]
) -> formats.Views:
    """The views, with the JSON's ``clusters`` when the inventory names clusters."""
    if not named(inv):
        return views
    data = views.data
    return replace(views, data=lambda: {**data(), **json_extra(parts, list(plans))})


def print_hosts(console: Console, inv: Inventory, plan: Plan) -> None:
    """The hosts table, one per cluster when the inventory names clusters."""
    if not named(inv):
        render_plan.print_hosts(console, inv, plan)
        return
    for name, hosts in _groups(inv):
        console.print(Text(f"Cluster {cluster_label(name)}", style="bold"))
        render_plan.print_hosts(console, inv, plan, hosts)


def host_lines(inv: Inventory, plan: Plan) -> list[str]:
    """Plain text, one host per line, under a line per cluster when the inventory names any."""
    if not named(inv):
        return render_plan.host_lines(inv, plan)
    out = []
    for name, hosts in _groups(inv):
        out += [
            f"cluster {cluster_label(name)}:",
            *render_plan.host_lines(inv, plan, hosts),
        ]
    return out


def _groups(inv: Inventory) -> list[tuple[str, set[int]]]:
    return [
        (name, {h for h, host in enumerate(inv.hosts) if host.cluster == name})
        for name in cluster_names(inv)
    ]
