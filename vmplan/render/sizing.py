"""Sizing and backtests for people: the calibration candidates, and a replay per host."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from vmplan.model import Inventory
from vmplan.render.escape import cluster_label, printable
from vmplan.sizing import Replay
from vmplan.timefmt import iso_or_none, sample_label


def _table(title: str, columns: tuple[str, ...]) -> Table:
    """A table with the first column left-aligned and the others right-aligned (a trailing
    unnamed column is a left-aligned mark)."""
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for i, col in enumerate(columns):
        left = i == 0 or col in ("", "at")
        table.add_column(col, justify="left" if left else "right", no_wrap=True)
    return table


def share(x: float) -> str:
    """A share of host-time: ``0.004%`` (three decimals, since targets are that small)."""
    return f"{x * 100:.3f}%"


def candidates_table(doc: dict[str, Any]) -> Table:
    """``sizing.candidates`` of a plan: hosts against held-out risk, the chosen one marked."""
    holdout = doc.get("holdout") or {}
    title = f"Sizing: hosts vs held-out risk ({holdout.get('samples', 0)} held-out samples)"
    columns = ("method", "hosts", "time over limit", "samples over 100%", "worst", "")
    table = _table(title, columns)
    for c in doc["candidates"]:
        if c["hosts"] is None:
            table.add_row(c["method"], "-", "-", "-", "-", "no plan")
            continue
        over = c["time_over_limit"]
        mark = Text("chosen", style="bold green") if c["chosen"] else Text("")
        table.add_row(
            c["method"],
            str(c["hosts"]),
            share(over),
            str(c["samples_over_full"]),
            f"{c['worst']:.0%}",
            mark,
        )
    return table


def replay_totals(result: Replay) -> dict[str, Any]:
    """A replay's totals: the top of ``vmplan backtest``'s JSON, and each of its ``clusters``."""
    return {
        "samples": result.samples,
        "hosts_used": len(result.hosts),
        "time_over_limit": round(result.time_over_limit, 6),
        "samples_over_limit": result.samples_over_limit,
        "samples_over_full": result.samples_over_full,
        "worst": round(result.worst, 4),
        "hosts_over_memory": result.hosts_over_memory,
    }


def replay_dict(inv: Inventory, result: Replay) -> dict[str, Any]:
    """The JSON of ``vmplan backtest`` (without the command and warnings)."""
    return {
        **replay_totals(result),
        "hosts": [
            {
                "name": inv.hosts[h.host].name,
                "vms": h.vms,
                "samples_over_limit": h.samples_over_limit,
                "samples_over_full": h.samples_over_full,
                "time_over_limit": round(h.time_over_limit, 6),
                "worst": round(h.worst, 4),
                "worst_at": iso_or_none(inv, h.worst_sample),
                "worst_sample": h.worst_sample,
                "cpu_limit": inv.hosts[h.host].cpu_limit,
                "memory": round(h.memory, 4),
                "memory_limit": inv.hosts[h.host].memory_limit,
                "memory_over_limit": h.memory_over_limit,
            }
            for h in result.hosts
        ],
    }


def replay_table(inv: Inventory, result: Replay) -> Table:
    columns = ("host", "VMs", "over limit", "time over", "over 100%", "worst", "at", "memory")
    table = _table("Replay per host", columns)
    for h in result.hosts:
        host = inv.hosts[h.host]
        bad = h.samples_over_limit > 0
        table.add_row(
            printable(host.name),
            str(h.vms),
            Text(str(h.samples_over_limit), style="red" if bad else ""),
            share(h.time_over_limit),
            Text(str(h.samples_over_full), style="bold red" if h.samples_over_full else ""),
            Text(f"{h.worst:.0%}", style="red" if bad else ""),
            sample_label(inv, h.worst_sample),
            Text(f"{h.memory:.0%}", style="red" if h.memory_over_limit else ""),
        )
    return table


def replay_lines(inv: Inventory, result: Replay) -> list[str]:
    """Plain text, one host per line."""
    return [
        f"host {printable(inv.hosts[h.host].name)}: {h.vms} VMs, {h.samples_over_limit} samples "
        f"over the CPU limit ({share(h.time_over_limit)} of its time), {h.samples_over_full} over "
        f"100%, worst {h.worst:.0%} at {sample_label(inv, h.worst_sample)}, memory {h.memory:.0%}"
        + (", OVER ITS MEMORY LIMIT" if h.memory_over_limit else "")
        for h in result.hosts
    ]


def replay_summary(result: Replay, label: str = "Backtest") -> str:
    """``Backtest: 4 hosts x 288 samples: 3 samples over the CPU limit (0.260% of host-time), ...``
    (``label`` first: ``Cluster west: 2 hosts x ...`` for a cluster's line)."""
    hosts = len(result.hosts)
    memory = (
        f", {result.hosts_over_memory} over the memory limit" if result.hosts_over_memory else ""
    )
    return (
        f"{label}: {hosts} host{'s' if hosts != 1 else ''} x {result.samples} samples: "
        f"{result.samples_over_limit} over the CPU limit ({share(result.time_over_limit)} of "
        f"host-time), {result.samples_over_full} over 100% of cores, worst "
        f"{result.worst:.0%} of cores{memory}"
    )


def cluster_lines(clusters: tuple[tuple[str, Replay], ...]) -> list[str]:
    """A replay's line per cluster: ``Cluster west: 2 hosts x 288 samples: ...``."""
    return [replay_summary(r, f"Cluster {cluster_label(name)}") for name, r in clusters]
