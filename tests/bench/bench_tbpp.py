"""Temporal bin packing benchmark: the 12 real-Azure instances of ../shared/data/tbpp as inventories.

    python tests/bench/bench_tbpp.py [--time-limit S] [--today series|peak] [--prove S]
                                     [--prove-max-pairs N] [--only NAME ...]

Conversion (see the data's README): every job is a VM of 1 vCPU whose CPU is the job's size (a
percentage of one host) while it runs and 0 otherwise; hosts have 1 core at a 100% limit and
memory that never binds; samples are 5 minutes and a job occupies every sample its lifetime
touches (``floor(start / 5)`` to ``ceil(end / 5) - 1``). Today's placement is first fit in file
order (always valid), on as many hosts as that needs: on the whole series (``--today series``,
the default; every host is then full at some sample, so a plan may find no safe order of live
migrations to a better placement and keep today's), or on each job's size alone (``--today
peak``, as a site sizing by peaks places VMs: consolidation is then the task).

Measured (2026-11-28, 2-core machine, load 1-2): vmplan proves its host count optimal itself on
11 of 12 with ``--today series`` (1000_4_3: 89 hosts, bound 88; the search finds placements on
88 hosts, but the scheduler finds no safe order from that start), on 12 of 12 with ``--today
peak``. With ``--only 1000_4_3 --prove 30 --prove-max-pairs 200000`` this script's own MILP finds
an 88-host placement of 1000_4_3 from the series start too ("<= 88").

Columns: vmplan's hosts (default settings but the time limit), its lower bound, whether vmplan
itself proved the count (lower bound = hosts), the distinct maximal samples, and, with
``--prove S``, this script's own check of the optimum: the engine's assignment MILP on the distinct
maximal samples asked for a placement on one host fewer than vmplan found, for at most S seconds
("optimum" when it proves there is none, "<= k" when it finds one, "?" when time runs out).
Every vmplan plan is checked by the independent verifier before it is counted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from instances import DATA, table  # noqa: E402

from vmplan.engine import milp  # noqa: E402
from vmplan.engine.bounds import maximal_columns  # noqa: E402
from vmplan.engine.verify import verify_plan  # noqa: E402
from vmplan.model import VM, Host, Inventory  # noqa: E402
from vmplan.pack import PackSettings, pack  # noqa: E402
from vmplan.problems import Position  # noqa: E402

TBPP = DATA / "tbpp"
STEP_MIN = 5
GIB = 2**30


def read(path: Path) -> tuple[np.ndarray, float]:
    """(jobs x samples) demand in host units, and the capacity the file states."""
    lines = path.read_text().split("\n")
    capacity = float(lines[0].split()[1])
    jobs = np.array([[float(x) for x in line.split()] for line in lines[1:] if line.strip()])
    start = np.floor(jobs[:, 1] / STEP_MIN).astype(np.int64)
    end = np.maximum(np.ceil(jobs[:, 2] / STEP_MIN).astype(np.int64), start + 1)
    samples = int(end.max())
    t = np.arange(samples)
    on = (t[None, :] >= start[:, None]) & (t[None, :] < end[:, None])
    return on * (jobs[:, 3:4] / capacity), capacity


def inventory(path: Path, today: str = "series") -> Inventory:
    """``today``: "series", first fit in file order on the whole series (every host full at some
    sample); "peak", first fit in file order on each job's size alone (a host holds jobs whose
    sizes add up to at most one host, as a site sizing by peaks would place them)."""
    demand, _ = read(path)
    n = demand.shape[0]
    loads: list[np.ndarray] = []
    current = []
    sizes = demand if today == "series" else demand.max(axis=1, keepdims=True)
    for v in range(n):  # today: first fit in file order
        for h, load in enumerate(loads):
            if (load + sizes[v] <= 1.0 + 1e-9).all():
                load += sizes[v]
                current.append(h)
                break
        else:
            loads.append(sizes[v].copy())
            current.append(len(loads) - 1)
    where = Position(path.name)
    hosts = tuple(
        Host(f"h{i:04d}", 1.0, 64 * GIB, 1.0, 1.0, False, where) for i in range(len(loads))
    )
    vms = tuple(VM(f"job{v:04d}", hosts[current[v]].name, 1, 2**20, where) for v in range(n))
    return Inventory(
        hosts, vms, (), np.ascontiguousarray(demand), STEP_MIN * 60, None, (str(path),)
    )


def interval_maximal(demand: np.ndarray) -> np.ndarray:
    """The maximal samples of jobs that each run one interval of samples, where
    :func:`maximal_columns` gives up on the work it would take. Runs of equal samples count once
    (the first); then a sample's jobs that all run at some other sample run at its next (or
    previous) distinct one too, so a sample is dominated exactly when its jobs are a subset of a
    neighbour's."""
    on = demand > 0
    first = np.ones(on.shape[1], dtype=np.bool_)
    first[1:] = (on[:, 1:] != on[:, :-1]).any(axis=0)
    runs = np.flatnonzero(first)
    a = on[:, runs]
    dominated = np.zeros(runs.size, dtype=np.bool_)
    dominated[:-1] |= (~a[:, :-1] | a[:, 1:]).all(axis=0)  # a subset of the next
    dominated[1:] |= (~a[:, 1:] | a[:, :-1]).all(axis=0)  # a subset of the previous
    return runs[~dominated]


def prove(inv: Inventory, hosts: int, seconds: float, max_pairs: int = 60_000) -> str:
    """Is there a placement on ``hosts - 1`` hosts? The engine's model on the maximal samples."""
    if hosts <= 1:
        return "optimum"
    n_vms, n_hosts = len(inv.vms), len(inv.hosts)
    use = min(n_hosts, hosts - 1)
    pairs = np.array([(i, h) for i in range(n_vms) for h in range(use)], dtype=np.int64)
    problem = milp.Assignment(
        pairs, inv.demand, inv.memory, inv.cpu_cap[:use], inv.mem_cap[:use], [frozenset()] * n_vms
    )
    samples = set(interval_maximal(inv.demand).tolist())
    symmetry = tuple((h, h + 1) for h in range(use - 1))
    count = milp.HostCount(use, np.zeros(use, dtype=np.bool_), symmetry, cost=1.0)
    if pairs.shape[0] > max_pairs:
        return "? (too large)"
    result = milp.solve(problem, np.zeros(len(pairs)), time.monotonic() + seconds, samples, count)
    if result.infeasible:
        return "optimum"
    if result.where is not None:
        return f"<= {int(np.unique(result.where).size)}"
    return "?"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--time-limit", type=float, default=5.0)
    ap.add_argument("--prove", type=float, default=0.0, help="seconds for the optimality check")
    ap.add_argument("--prove-max-pairs", type=int, default=60_000, help="larger models: '?'")
    ap.add_argument("--today", choices=("series", "peak"), default="series", help="see inventory()")
    ap.add_argument("--only", nargs="*", default=None, help="instance names, e.g. 100_inf_3")
    args = ap.parse_args()
    header = ["instance", "jobs", "samples", "maximal", "hosts today", "vmplan", "lower bound"]
    header += ["proven", "binding", "wall s", "check"]
    rows = []
    paths = sorted(TBPP.glob("*.txt"), key=lambda p: (int(p.name.split("_")[0]), p.name))
    for path in paths:
        if args.only and path.stem not in args.only:
            continue
        inv = inventory(path, args.today)
        t0 = time.perf_counter()
        result = pack(inv, PackSettings(time_limit=args.time_limit))
        wall = time.perf_counter() - t0
        plan = result.plan
        assert plan.feasible and not verify_plan(inv, plan, 4), path.name
        used = int(np.unique(plan.target).size)
        lower = int(plan.lower_bound or 0)
        columns = maximal_columns(inv.demand)
        check = prove(inv, used, args.prove, args.prove_max_pairs) if args.prove and used > lower else ""
        rows.append(
            [
                path.stem,
                str(len(inv.vms)),
                str(inv.n_samples),
                "?" if columns is None else str(columns.size),
                str(len(inv.hosts)),
                str(used),
                str(lower),
                "yes" if used <= lower else "no",
                ",".join(result.bounds.binding()),
                f"{wall:.1f}",
                check,
            ]
        )
        print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    print(table(header, rows))
    proven = sum(r[7] == "yes" for r in rows)
    print(f"\nproven by vmplan itself (lower bound = hosts): {proven} of {len(rows)}")


if __name__ == "__main__":
    main()
