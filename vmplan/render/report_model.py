"""What the report shows, computed once from an inventory and an optional plan (no markup here).

For every host: the stacked CPU demand of its VMs today (``before``) and, with a plan, in the
target placement (``after``); its peak, the samples over its CPU limit and its memory use, and
which of CPU and memory binds it (the larger share of its limit). The VMs that make the peak get a
layer of their own, largest at the peak first, until what is left (``other``) is at most
:data:`OTHER_SHARE` of the peak (at least :data:`TOP_N`, at most :data:`MAX_NAMED` named).

The plan's claims are checked against what the placement gives on this inventory, never repeated:
a plan that says it is optimal or feasible while a host is over a limit, or that names a host as
evacuated while it still holds VMs, is contradicted (:attr:`Report.contradictions`). The HTML and
text renderers only format these numbers.

When the inventory names clusters, :attr:`Report.clusters` groups the hosts by cluster (in the
order the clusters' first hosts are written), each with its hosts in use before and after; an
inventory that names none has no groups, and its report is what it always was.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vmplan.constraints import cpu_fits, memory_fits
from vmplan.fleet.split import cluster_names
from vmplan.model import (
    FloatArray,
    Host,
    IntArray,
    Inventory,
    Plan,
    host_loads,
    host_memory_use,
)
from vmplan.sizing.replay import Replay

TOP_N = 6  # VMs named on every host that has them; more while "other" is large
MAX_NAMED = 12  # the palette's slots
OTHER_SHARE = 0.1  # of the peak, the most "other" may hold once TOP_N are named


@dataclass(frozen=True, slots=True, eq=False)
class Layer:
    label: str  # the VM's name, or "other (n VMs)"
    vm: int  # index of the VM; -1 for the "other" layer
    values: FloatArray  # cores per sample
    peak: float  # cores


@dataclass(frozen=True, slots=True, eq=False)
class Panel:
    """One host in one placement."""

    vms: tuple[int, ...]
    layers: tuple[Layer, ...]  # bottom of the stack first; "other" last when present
    total: FloatArray  # cores per sample
    peak_sample: int
    peak: float  # cores
    over_samples: int  # samples above the CPU limit
    first_over: int  # first such sample, -1 when none
    memory_bytes: float
    over_memory: bool
    cpu_use: float  # peak over the CPU limit in cores (1.0 = at the limit)
    memory_use: float  # memory over the memory limit

    @property
    def over_cpu(self) -> bool:
        return self.over_samples > 0

    @property
    def binds(self) -> str:
        """``cpu`` or ``memory``: the resource nearest its limit (CPU on a tie)."""
        return "cpu" if self.cpu_use >= self.memory_use else "memory"


@dataclass(frozen=True, slots=True, eq=False)
class HostRow:
    index: int
    host: Host
    before: Panel
    after: Panel | None  # None without a plan
    freed: bool  # held VMs before, none after
    evacuated: bool


@dataclass(frozen=True, slots=True)
class ClusterGroup:
    """One cluster's hosts: indices into :attr:`Report.rows`, in inventory order."""

    name: str
    rows: tuple[int, ...]
    hosts_before: int  # its hosts holding at least one VM
    hosts_after: int | None  # None without a plan


@dataclass(frozen=True, slots=True, eq=False)
class Report:
    inventory: Inventory
    plan: Plan | None
    plan_file: str | None
    rows: tuple[HostRow, ...]
    hosts_before: int  # hosts holding at least one VM
    hosts_after: int | None
    top_n: int  # contributors with a layer of their own, at least
    contradictions: tuple[str, ...] = ()  # what the plan claims and the data contradicts
    replay: Replay | None = None  # the plan replayed on these series, when made on other ones
    clusters: tuple[ClusterGroup, ...] = ()  # empty when the inventory names no cluster

    @property
    def freed(self) -> tuple[HostRow, ...]:
        return tuple(r for r in self.rows if r.freed)

    def over_cpu(self, side: str) -> tuple[HostRow, ...]:
        return tuple(r for r in self.rows if (p := _side(r, side)) is not None and p.over_cpu)

    def over_memory(self, side: str) -> tuple[HostRow, ...]:
        return tuple(r for r in self.rows if (p := _side(r, side)) is not None and p.over_memory)


def _side(row: HostRow, side: str) -> Panel | None:
    return row.before if side == "before" else row.after


def _panel(
    inv: Inventory,
    host: int,
    placement: IntArray,
    loads: FloatArray,
    memory: FloatArray,
    top_n: int,
) -> Panel:
    vms = np.flatnonzero(placement == host)
    total = loads[host]
    peak_sample = int(np.argmax(total)) if total.size else 0
    at_peak = inv.demand[vms, peak_sample] if inv.n_samples else np.zeros(vms.size)
    means = inv.demand[vms].mean(axis=1) if inv.n_samples else np.zeros(vms.size)
    names = [inv.vms[v].name for v in vms]
    order = sorted(
        range(vms.size),
        key=lambda i: (-round(float(at_peak[i]), 9), -round(float(means[i]), 9), names[i]),
    )
    named = min(top_n, len(order))
    left = float(at_peak.sum()) - float(at_peak[order[:named]].sum()) if order else 0.0
    while named < min(len(order), MAX_NAMED) and left > OTHER_SHARE * float(at_peak.sum()):
        left -= float(at_peak[order[named]])
        named += 1
    top, rest = order[:named], order[named:]
    if len(rest) == 1:  # an "other" of one VM is that VM: name it
        top, rest = order, []
    layers = [
        Layer(names[i], int(vms[i]), inv.demand[vms[i]], float(inv.demand[vms[i]].max()))
        for i in top
    ]
    if rest:
        values = inv.demand[vms[rest]].sum(axis=0)
        layers.append(Layer(f"other ({len(rest)} VMs)", -1, values, float(values.max())))
    over = ~cpu_fits(total, inv.cpu_cap[host])
    over_idx = np.flatnonzero(over)
    mem = float(memory[host])
    peak = float(total[peak_sample]) if total.size else 0.0
    return Panel(
        vms=tuple(int(v) for v in vms[order]),
        layers=tuple(layers),
        total=total,
        peak_sample=peak_sample,
        peak=peak,
        over_samples=int(over_idx.size),
        first_over=int(over_idx[0]) if over_idx.size else -1,
        memory_bytes=mem,
        over_memory=not bool(memory_fits(mem, inv.mem_cap[host])),
        cpu_use=peak / max(float(inv.cpu_cap[host]), 1e-9),
        memory_use=mem / max(float(inv.mem_cap[host]), 1.0),
    )


def _panels(inv: Inventory, placement: IntArray, top_n: int) -> list[Panel]:
    loads = host_loads(inv, placement)
    memory = host_memory_use(inv, placement)
    return [_panel(inv, h, placement, loads, memory, top_n) for h in range(len(inv.hosts))]


def build(
    inv: Inventory,
    plan: Plan | None = None,
    plan_file: str | None = None,
    top_n: int = TOP_N,
    replay: Replay | None = None,
) -> Report:
    """The report of ``inv`` today and, when ``plan`` is given, of its target placement;
    ``replay`` is that placement replayed on ``inv``'s series (``vmplan backtest``'s numbers),
    given when the plan was made on other series (a later inventory)."""
    before = _panels(inv, inv.current, top_n)
    after = _panels(inv, plan.target, top_n) if plan is not None else None
    evacuated = set(plan.evacuated) if plan is not None else set()
    rows = []
    for h, host in enumerate(inv.hosts):
        a = after[h] if after is not None else None
        rows.append(
            HostRow(
                index=h,
                host=host,
                before=before[h],
                after=a,
                freed=a is not None and bool(before[h].vms) and not a.vms,
                evacuated=h in evacuated,
            )
        )
    return Report(
        inventory=inv,
        plan=plan,
        plan_file=plan_file,
        rows=tuple(rows),
        hosts_before=sum(1 for p in before if p.vms),
        hosts_after=None if after is None else sum(1 for p in after if p.vms),
        top_n=top_n,
        contradictions=() if plan is None else contradictions(inv, plan, tuple(rows)),
        replay=replay,
        clusters=groups(inv, tuple(rows)),
    )


def groups(inv: Inventory, rows: tuple[HostRow, ...]) -> tuple[ClusterGroup, ...]:
    """The hosts by cluster, when the inventory names clusters (none otherwise)."""
    names = cluster_names(inv)
    if names == ("",):
        return ()
    out = []
    for name in names:
        mine = tuple(r for r in rows if r.host.cluster == name)
        after = None if mine[0].after is None else sum(1 for r in mine if r.after and r.after.vms)
        out.append(
            ClusterGroup(
                name,
                tuple(r.index for r in mine),
                sum(1 for r in mine if r.before.vms),
                after,
            )
        )
    return tuple(out)


def contradictions(inv: Inventory, plan: Plan, rows: tuple[HostRow, ...]) -> tuple[str, ...]:
    """What ``plan`` claims that its own placement, recomputed on ``inv``, contradicts."""
    over = [
        r.host.name
        for r in rows
        if r.after is not None and (r.after.over_cpu or r.after.over_memory)
    ]
    where = ", ".join(over[:5]) + (f" and {len(over) - 5} more" if len(over) > 5 else "")
    out = []
    if over and plan.optimal:
        out.append(f"the plan says proven optimal, but its placement is over a limit on {where}")
    elif over and plan.feasible:
        out.append(f"the plan says feasible, but its placement is over a limit on {where}")
    for r in rows:
        if r.evacuated and r.after is not None and r.after.vms:
            n = len(r.after.vms)
            out.append(
                f"the plan says {r.host.name} is evacuated, but it still holds {n} "
                f"{'VM' if n == 1 else 'VMs'}"
            )
    return tuple(out)
