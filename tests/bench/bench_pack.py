"""Pack benchmark: vmplan against the baselines a user would otherwise use, in one table.

    python tests/bench/bench_pack.py [--days N] [--time-limit S] [--skip-fleet]
                                     [--fleet VMS ...] [--fleet-time-limit S ...]

Instances (built here, fixed seeds): every PlanetLab day in ../shared/data/planetlab on hosts of
8 and of 16 cores, and synthetic fleets of 10,000 VMs (``--fleet 5000 10000 20000`` for others)
x 2,016 samples given through a cpu_series CSV, each planned at every ``--fleet-time-limit``
(default: 5 and 0.5 s; the short one shows that a tight budget is no worse than one first-fit
pass).

Baselines: "peak" sizes every VM by its CPU peak (what a spreadsheet does: first-fit decreasing
on peak cores and memory); "FFD" is first-fit decreasing by peak with the full-series fit check;
"best FF/BFD" the best of first-fit and best-fit decreasing by peak and by norm; "balanced" the
fixed-H balanced construction and repair of vmplan.engine.balanced on its own (H from 3% above the
lower bound, down while it succeeds, up after a failure, 2 s per H). Every plan is
checked by the independent verifier (vmplan.engine.verify) before it is counted. The 10,000-VM fleet is
planned end to end by the real CLI in a fresh process (load, solve, write the plan), so its time
and peak memory (max RSS) are what a user sees.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from instances import planetlab_day, planetlab_days, synthetic_fleet, table  # noqa: E402

from vmplan.model import Inventory  # noqa: E402
from vmplan.pack import PackSettings, pack  # noqa: E402
from vmplan.engine import balanced  # noqa: E402
from vmplan.engine.bounds import lower_bounds  # noqa: E402
from vmplan.engine.construct import Order, decreasing  # noqa: E402
from vmplan.engine.items import build  # noqa: E402
from vmplan.engine.verify import verify_placement, verify_plan  # noqa: E402


def by_peak(inv: Inventory) -> int:
    """Hosts needed when every VM counts with its peak (scalar first-fit decreasing)."""
    peak = inv.demand.max(axis=1)
    order = np.lexsort((np.arange(peak.size), -peak))
    free_cpu: list[float] = []
    free_mem: list[float] = []
    cap, mem = float(inv.cpu_cap.max()), float(inv.mem_cap.max())
    for v in order:
        for h in range(len(free_cpu)):
            if free_cpu[h] >= peak[v] and free_mem[h] >= inv.memory[v]:
                break
        else:
            free_cpu.append(cap)
            free_mem.append(mem)
            h = len(free_cpu) - 1
        free_cpu[h] -= peak[v]
        free_mem[h] -= inv.memory[v]
    return len(free_cpu)


def heuristic(inv: Inventory, order: Order, best: bool) -> int:
    state = decreasing(inv, build(inv), order, best)
    assert state is not None
    where = state.where  # items are VMs here (no affinity rules)
    assert not verify_placement(inv, where), "baseline placement invalid"
    return int(np.unique(where).size)


def balanced_alone(inv: Inventory, seconds: float = 2.0) -> int:
    """Hosts of the balanced construction alone, searching H as vmplan does (no portfolio)."""
    items = build(inv)
    lower = lower_bounds(inv, items).best
    h = lower + max(1, round(0.03 * lower))
    best, failed_at = len(inv.hosts) + 1, lower - 1
    while failed_at < h < best:
        hosts = balanced.largest_hosts(inv, items, h)
        out = balanced.build_on(inv, items, hosts, time.monotonic() + seconds)
        if out.state is not None:
            assert not verify_placement(inv, items.placement_of_vms(out.state.where))
            best = len(out.state.used())
            h = best - 1
        else:
            failed_at = h
            h += 1
    return best


def run_vmplan(inv: Inventory, time_limit: float) -> dict[str, float]:
    tracemalloc.start()
    t0 = time.perf_counter()
    result = pack(inv, PackSettings(time_limit=time_limit))
    wall = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    plan = result.plan
    problems = verify_plan(inv, plan, 4)
    assert plan.feasible and not problems, problems[:3]
    kept = plan.before[plan.target == plan.before]
    return {
        "hosts": int(np.unique(plan.target).size),
        "lb": int(plan.lower_bound or 0),
        "optimal": plan.optimal,
        "migrations": len({m.vm for m in plan.moves}),
        "wall": wall,
        "mem": peak / 2**20,
        "kept": int(np.unique(kept).size),
    }


def row(name: str, inv: Inventory, time_limit: float) -> list[str]:
    peak_hosts = by_peak(inv)
    ffd = heuristic(inv, Order.PEAK, best=False)
    best = min(heuristic(inv, o, b) for o in Order for b in (False, True))
    bal = balanced_alone(inv)
    r = run_vmplan(inv, time_limit)
    gap = r["hosts"] - r["lb"]
    return [
        name,
        str(len(inv.vms)),
        str(len(inv.hosts)),
        str(r["lb"]),
        str(peak_hosts),
        str(ffd),
        str(best),
        str(bal),
        f"{r['hosts']}{'*' if r['optimal'] else ''}",
        f"+{gap}",
        str(r["migrations"]),
        f"{r['wall']:.1f}",
        f"{r['mem']:.0f}",
    ]


def fleet_rows(vms: int, time_limits: list[float]) -> list[list[str]]:
    with tempfile.TemporaryDirectory() as d:
        path = synthetic_fleet(Path(d), vms=vms)
        from vmplan.inventory import load  # the independent check of what the CLI wrote

        inv = load([path]).inventory
        peak_hosts = by_peak(inv)
        ffd = heuristic(inv, Order.PEAK, best=False)
        best = min(heuristic(inv, Order.PEAK, b) for b in (False, True))
        bal = balanced_alone(inv, seconds=10.0)
        return [
            fleet_row(path, inv, t, [str(peak_hosts), str(ffd), f"{best} (peak only)", str(bal)])
            for t in time_limits
        ]


def fleet_row(path: Path, inv: Inventory, time_limit: float, baselines: list[str]) -> list[str]:
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "plan.json"
        cmd = [sys.executable, "-m", "vmplan", "pack", str(path), "-f", "json", "-o", str(out)]
        # on the series as given (--risk none) with no room kept (--spare 0): the solver's
        # benchmark; bench_sizing.py measures sizing and bench_spare.py the spare room
        cmd += ["--time-limit", str(time_limit), "--risk", "none", "--spare", "0"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest so far
        if proc.returncode != 0:
            raise SystemExit(f"vmplan pack failed ({proc.returncode}): {proc.stderr[-2000:]}")
        plan = json.loads(out.read_text())
        target = np.array([inv.host_index[plan["placement"][v.name]] for v in inv.vms])
        assert not verify_placement(inv, target), "fleet plan invalid"
    return [
        f"fleet {len(inv.vms) // 1000}k x {inv.n_samples}, {time_limit:g} s",
        str(len(inv.vms)),
        str(plan["hosts_before"]),
        str(plan["lower_bound"]),
        *baselines,
        f"{plan['hosts_used']}{'*' if plan['optimal'] else ''}",
        f"+{plan['hosts_used'] - plan['lower_bound']}",
        str(len({m["vm"] for m in plan["migrations"]})),
        f"{wall:.1f} (end to end)",
        f"{rss:.0f} (max RSS)",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--time-limit", type=float, default=5.0)
    ap.add_argument("--skip-fleet", action="store_true")
    ap.add_argument("--fleet", type=int, nargs="*", default=[10_000], help="fleet sizes in VMs")
    ap.add_argument("--fleet-time-limit", type=float, nargs="*", default=[5.0, 0.5])
    args = ap.parse_args()
    header = [
        "instance",
        "VMs",
        "hosts today",
        "lower bound",
        "peak",
        "FFD",
        "best FF/BFD",
        "balanced",
        "vmplan",
        "gap",
        "migrations",
        "wall s",
        "peak MiB",
    ]
    rows = []
    for path in planetlab_days()[: args.days]:
        for cores in (8, 16):
            inv = planetlab_day(path, cores=cores)
            rows.append(row(f"{path.name[:8]} {cores}c", inv, args.time_limit))
            print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    if not args.skip_fleet:
        for vms in args.fleet:
            rows += fleet_rows(vms, args.fleet_time_limit)
            print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    print(table(header, rows))
    print(f"\nload: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min)")
    print("* = proven optimal. Hosts for 'peak', 'FFD', 'best FF/BFD', 'balanced' are baselines;")
    print("every vmplan plan passed the independent verifier (limits at every sample, waves).")


if __name__ == "__main__":
    main()
