"""How heavy is the HTML report of a large fleet? Prints one table; not a timed test.

    python tests/bench/bench_report.py

Builds synthetic fleets in memory (100 hosts, 10 VMs each, office-hours and nightly curves with
noise from a fixed seed), a plan that empties 30 hosts onto the others, and measures building the
report and rendering it as HTML and as text: wall time (best of 3) and size.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np

from vmplan import __version__
from vmplan.model import VM, Command, Host, Inventory, Move, MoveKind, Plan, Reason
from vmplan.problems import Position
from vmplan.render import html, report_model, report_text

HERE = Position("bench")


def fleet(hosts: int, vms_per_host: int, samples: int, interval_s: int = 300) -> Inventory:
    rng = np.random.default_rng(7)
    hs = tuple(Host(f"esx{h:03d}", 48.0, 768 << 30, 0.8, 0.9, False, HERE) for h in range(hosts))
    n = hosts * vms_per_host
    vms = tuple(
        VM(f"vm{v:04d}", hs[v % hosts].name, int(rng.choice([2, 4, 8])), 16 << 30, HERE)
        for v in range(n)
    )
    t = np.arange(samples) * interval_s / 3600 % 24
    office = ((t > 8) & (t < 18)).astype(float)
    night = ((t > 1) & (t < 5)).astype(float)
    shape = np.where(rng.random((n, 1)) < 0.6, office, night)
    pct = np.clip(10 + 50 * shape + rng.normal(0, 6, (n, samples)), 0, 100)
    demand = pct / 100 * np.array([v.vcpus for v in vms], dtype=float)[:, None]
    return Inventory(hs, vms, (), demand, interval_s, datetime(2026, 11, 2, tzinfo=UTC))


def plan_for(inv: Inventory, freed: int) -> Plan:
    """Move every VM of the first ``freed`` hosts round-robin onto the others, 4 per wave."""
    hosts = len(inv.hosts)
    target = inv.current.copy()
    moves = []
    for i, v in enumerate(np.flatnonzero(inv.current < freed)):
        target[v] = freed + i % (hosts - freed)
        moves.append(
            Move(
                int(v),
                int(inv.current[v]),
                int(target[v]),
                1 + i // 40,
                14.0,
                Reason(MoveKind.REPACK),
            )
        )
    return Plan("pack", True, inv.current, target, tuple(moves), lower_bound=hosts - freed - 5)


def best_of(runs: int, fn):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    rows = []
    for hosts, samples, with_plan in ((100, 288, False), (100, 288, True), (100, 2016, True)):
        inv = fleet(hosts, 10, samples)
        plan = plan_for(inv, 30) if with_plan else None

        def build(inv: Inventory = inv, plan: Plan | None = plan) -> str:
            return html.document(
                report_model.build(inv, plan, "plan.json"), f"vmplan {__version__}"
            )

        seconds, doc = best_of(3, build)
        text_s, text = best_of(
            3, lambda inv=inv, plan=plan: report_text.plain(report_model.build(inv, plan))
        )
        rows.append(
            (
                f"{hosts} hosts x {len(inv.vms) // hosts} VMs",
                samples,
                "yes" if plan else "no",
                doc.count("<svg"),
                f"{len(doc.encode()) / 1e6:.2f} MB",
                f"{seconds:.2f} s",
                f"{len(text.encode()) / 1e3:.0f} kB",
                f"{text_s:.2f} s",
            )
        )
    head = (
        "fleet",
        "samples",
        "plan",
        "charts",
        "HTML size",
        "HTML time",
        "text size",
        "text time",
    )
    widths = [max(len(str(r[i])) for r in (head, *rows)) for i in range(len(head))]
    for r in (head, *rows):
        print("  ".join(str(c).rjust(w) for c, w in zip(r, widths)))


if __name__ == "__main__":
    main()
