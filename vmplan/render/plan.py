"""Plans (pack and evacuate) as a dict for json/yaml, and as rich tables for people.

The dict is the documented contract: ``command, feasible, hosts_used, lower_bound, optimal,
placement, freed_hosts, migrations[{wave, vm, from, to, seconds}], hosts[{name, vms, cpu_peak,
cpu_peak_at, memory}]`` plus more keys (``hosts_before``, ``waves``, ``total_seconds``, ...).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from vmplan.constraints import cpu_fits
from vmplan.model import Inventory, Move, Plan, host_loads, host_memory_use
from vmplan.render.curves import sparkline
from vmplan.render.escape import printable
from vmplan.timefmt import format_duration, iso_or_none, time_of_day
from vmplan.units import format_bytes


def _used(plan_placement: np.ndarray, n_hosts: int) -> np.ndarray:
    return np.bincount(plan_placement, minlength=n_hosts) > 0


def plan_dict(inv: Inventory, plan: Plan, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    n = len(inv.hosts)
    before_used = _used(plan.before, n)
    after_used = _used(plan.target, n)
    loads_before = host_loads(inv, plan.before)
    loads_after = host_loads(inv, plan.target)
    mem_after = host_memory_use(inv, plan.target)
    hosts = []
    for h, host in enumerate(inv.hosts):
        members = [inv.vms[v].name for v in np.flatnonzero(plan.target == h)]
        t = int(np.argmax(loads_after[h])) if inv.n_samples else 0
        tb = int(np.argmax(loads_before[h])) if inv.n_samples else 0
        hosts.append(
            {
                "name": host.name,
                "vms": members,
                "cpu_peak": round(float(loads_after[h, t]) / host.cores, 4),
                "cpu_peak_at": iso_or_none(inv, t) if members else None,
                "cpu_peak_sample": t if members else None,
                "memory": round(float(mem_after[h]) / host.memory_bytes, 4),
                "cpu_limit": host.cpu_limit,
                "memory_limit": host.memory_limit,
                "cpu_peak_before": round(float(loads_before[h, tb]) / host.cores, 4),
                "vms_before": int((plan.before == h).sum()),
                "maintenance": host.maintenance,
                "freed": bool(before_used[h] and not after_used[h]),
            }
        )
    migrations = [
        {
            "wave": m.wave,
            "vm": inv.vms[m.vm].name,
            "from": inv.hosts[m.source].name,
            "to": inv.hosts[m.target].name,
            "seconds": m.seconds,
            "memory_bytes": int(inv.memory[m.vm]),
            "reason": str(m.reason),
            "kind": m.reason.kind.value,
            "temporary": m.temporary,
        }
        for m in plan.moves
    ]
    per_wave = Counter(m.wave for m in plan.moves)
    doc: dict[str, Any] = {
        "command": plan.command.value,
        "feasible": plan.feasible,
        "hosts_used": int(after_used.sum()),
        "hosts_before": int(before_used.sum()),
        "lower_bound": plan.lower_bound,
        "optimal": plan.optimal,
        "placement": {vm.name: inv.hosts[int(plan.target[v])].name for v, vm in enumerate(inv.vms)},
        "freed_hosts": [inv.hosts[h].name for h in np.flatnonzero(before_used & ~after_used)],
        "migrations": migrations,
        "waves": [
            {"wave": w + 1, "moves": per_wave[w + 1], "seconds": s}
            for w, s in enumerate(plan.wave_seconds())
        ],
        "total_seconds": round(plan.total_seconds, 1),
        "hosts": hosts,
    }
    if plan.evacuated:
        doc["evacuated"] = [inv.hosts[h].name for h in plan.evacuated]
    if not plan.feasible:
        doc["unplaced"] = [
            {"vm": inv.vms[u.vm].name, "reasons": list(u.reasons)} for u in plan.unplaced
        ]
    if plan.notes:
        doc["notes"] = list(plan.notes)
    doc.update(extra or {})
    return doc


def _pct(x: float) -> str:
    return f"{x:.0%}"


@dataclass(frozen=True, slots=True)
class HostRow:
    """One host before and after a plan, as people read it."""

    name: str
    vms: str  # "8 -> 11"
    before: str  # CPU peak share before, "-" when it held nothing
    after: str  # CPU peak share after, "freed" or "-" when it holds nothing
    over: bool  # over its CPU limit after the plan
    freed: bool
    at: str
    memory: str
    curve: str


def host_rows(
    inv: Inventory, plan: Plan, only: set[int] | None = None, curve_width: int = 32
) -> list[HostRow]:
    """Hosts before and after: VM count, CPU peak and when, memory, the combined curve."""
    loads_before = host_loads(inv, plan.before)
    loads_after = host_loads(inv, plan.target)
    mem_after = host_memory_use(inv, plan.target)
    rows = []
    for h, host in enumerate(inv.hosts):
        if only is not None and h not in only:
            continue
        nb, na = int((plan.before == h).sum()), int((plan.target == h).sum())
        pb = loads_before[h].max() / host.cores if inv.n_samples else 0.0
        pa = loads_after[h].max() / host.cores if inv.n_samples else 0.0
        t = int(np.argmax(loads_after[h])) if inv.n_samples else 0
        over = inv.n_samples > 0 and not cpu_fits(loads_after[h], inv.cpu_cap[h]).all()
        name = printable(host.name) + (" (maint.)" if host.maintenance else "")
        if na == 0:
            after, at, mem, curve = "freed" if nb else "-", "", "", ""
        else:
            after, at = _pct(pa), time_of_day(inv, t)
            mem = f"{mem_after[h] / host.memory_bytes:.0%}"
            curve = sparkline(loads_after[h], curve_width, inv.cpu_cap[h]) if curve_width else ""
        before = _pct(pb) if nb else "-"
        rows.append(
            HostRow(name, f"{nb} -> {na}", before, after, over, na == 0 and nb > 0, at, mem, curve)
        )
    return rows


_HOST_COLUMNS = (
    ("host", "left"),
    ("VMs", "right"),
    ("CPU peak before", "right"),
    ("CPU peak after", "right"),
    ("at", "left"),
    ("memory", "right"),
)


def _hosts_table(rows: list[HostRow], curve: bool) -> Table:
    table = Table(title="Hosts", title_justify="left", show_edge=False, pad_edge=False)
    for col, justify in _HOST_COLUMNS:
        table.add_column(col, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    if curve:
        table.add_column("combined CPU after (limit = full)", no_wrap=True)
    for r in rows:
        style = "green" if r.freed else ("red" if r.over else "")
        cells: list[str | Text] = [
            r.name,
            r.vms,
            r.before,
            Text(r.after, style=style),
            r.at,
            r.memory,
        ]
        table.add_row(*cells, *([r.curve] if curve else []))
    return table


def _fits(console: Console, table: Table) -> bool:
    """Whether ``table`` shows whole at the console's width (measured with room to spare)."""
    roomy = console.options.update(width=10_000, max_width=10_000)
    return Measurement.get(console, roomy, table).maximum <= console.width


def print_hosts(console: Console, inv: Inventory, plan: Plan, only: set[int] | None = None) -> None:
    """The hosts table, fitted to the console: the curve shortens, then goes, then each host gets
    a block of its own; names and numbers are never cut."""
    for width in (32, 16, 0):
        rows = host_rows(inv, plan, only, width)
        table = _hosts_table(rows, width > 0)
        if _fits(console, table):
            console.print(table)
            return
    console.print(Text("Hosts", style="italic"))
    for r in rows:
        console.print(Text(r.name, style="bold"), soft_wrap=True)
        console.print(f"  VMs {r.vms}; CPU peak {r.before} -> {r.after}", soft_wrap=True)
        if r.at:
            console.print(f"  at {r.at}; memory {r.memory}", soft_wrap=True)


def host_lines(inv: Inventory, plan: Plan, only: set[int] | None = None) -> list[str]:
    """Plain text, one host per line."""
    out = []
    for r in host_rows(inv, plan, only, curve_width=0):
        line = f"host {r.name}: VMs {r.vms}, CPU peak {r.before} -> {r.after}"
        if r.at:
            line += f" at {r.at}, memory {r.memory}"
        out.append(line + (", OVER ITS CPU LIMIT" if r.over else ""))
    return out


def _move_cells(inv: Inventory, m: Move) -> tuple[str, ...]:
    return (
        str(m.wave),
        printable(inv.vms[m.vm].name),
        printable(inv.hosts[m.source].name),
        printable(inv.hosts[m.target].name),
        format_bytes(inv.memory[m.vm]),
        format_duration(m.seconds),
        printable(str(m.reason)),
    )


def print_moves(console: Console, inv: Inventory, plan: Plan) -> None:
    table = Table(title="Migrations", title_justify="left", show_edge=False, pad_edge=False)
    for col in ("wave", "VM", "from", "to", "memory", "time", "why"):
        table.add_column(col, no_wrap=col != "why")
    for m in plan.moves:
        table.add_row(*_move_cells(inv, m))
    if _fits(console, table):
        console.print(table)
        return
    console.print(Text("Migrations", style="italic"))
    for line in move_lines(inv, plan):
        console.print(line, markup=False, highlight=False)  # wraps at the width, by words


def move_lines(inv: Inventory, plan: Plan) -> list[str]:
    """Plain text, one move per line."""
    out = []
    for m in plan.moves:
        wave, vm, source, target, memory, seconds, why = _move_cells(inv, m)
        out.append(f"wave {wave}: {vm} {source} -> {target}, {memory}, {seconds}, {why}")
    return out


def unplaced_lines(inv: Inventory, plan: Plan) -> list[str]:
    """The whole first (the notes: a total shortfall, a proof), then each VM left over."""
    out = [
        f"{printable(inv.vms[u.vm].name)}: {printable('; '.join(u.reasons))}" for u in plan.unplaced
    ]
    return [printable(note) for note in plan.notes] + out


def print_unplaced(console: Console, inv: Inventory, plan: Plan) -> None:
    for note in plan.notes:
        console.print(printable(note), soft_wrap=True, markup=False)
    for u in plan.unplaced:
        console.print(Text(f"{printable(inv.vms[u.vm].name)}: ", style="bold red"), end="")
        console.print(printable("; ".join(u.reasons)), soft_wrap=True, markup=False)
