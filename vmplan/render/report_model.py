"""What the report shows, computed once from an inventory and an optional plan (no markup here).

For every host: the stacked CPU demand of its VMs today (``before``) and, with a plan, in the
target placement (``after``); its peak, the samples over its CPU limit and its memory use. The
largest contributors (by mean demand) each get a layer of their own, the rest are summed into one
``other`` layer. The HTML and text renderers only format these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vmplan.constraints import cpu_fits, memory_fits
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

TOP_N = 6  # one colour each in the report's palette; the rest is "other"


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

    @property
    def over_cpu(self) -> bool:
        return self.over_samples > 0


@dataclass(frozen=True, slots=True, eq=False)
class HostRow:
    index: int
    host: Host
    before: Panel
    after: Panel | None  # None without a plan
    freed: bool  # held VMs before, none after
    evacuated: bool


@dataclass(frozen=True, slots=True, eq=False)
class Report:
    inventory: Inventory
    plan: Plan | None
    plan_file: str | None
    rows: tuple[HostRow, ...]
    hosts_before: int  # hosts holding at least one VM
    hosts_after: int | None
    top_n: int  # contributors with a layer of their own
    replay: Replay | None = None  # the plan replayed on these series, when made on other ones

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
    means = inv.demand[vms].mean(axis=1) if inv.n_samples else np.zeros(vms.size)
    names = [inv.vms[v].name for v in vms]
    order = sorted(range(vms.size), key=lambda i: (-round(float(means[i]), 9), names[i]))
    top, rest = order[:top_n], order[top_n:]
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
    peak_sample = int(np.argmax(total)) if total.size else 0
    mem = float(memory[host])
    return Panel(
        vms=tuple(int(v) for v in vms[order]),
        layers=tuple(layers),
        total=total,
        peak_sample=peak_sample,
        peak=float(total[peak_sample]) if total.size else 0.0,
        over_samples=int(over_idx.size),
        first_over=int(over_idx[0]) if over_idx.size else -1,
        memory_bytes=mem,
        over_memory=not bool(memory_fits(mem, inv.mem_cap[host])),
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
        replay=replay,
    )
