"""Benchmark of ``vmplan evacuate`` and ``check --evacuable``: ``python tests/bench/bench_evacuate.py``.

Builds its instances itself (fixed seeds) and prints one table:

- every PlanetLab day in ../shared/data/planetlab, on hosts of 8 and of 16 cores: every VM has
  1 vCPU with the trace as its CPU %, memory drawn from a fixed seed (1-4 GiB, hosts 16 GiB per
  core); today's placement is ``vmplan.pack.pack`` at 80% CPU and memory limits, and the
  evacuations run at 90%, so hosts start at about 89% of what they may carry. Every host is
  evacuated in turn; then again at 83% limits ("tight": hosts at about 96%), where room-making
  moves and infeasible evacuations appear.
- a synthetic fleet of 10,000 VMs x 2,016 samples (a week at 5 minutes) on 96 hosts of 32-64
  cores, spread by peak to about 75% of the CPU limit with memory binding on some hosts; 10 of
  its hosts are evacuated, then ``check --evacuable`` runs once over the whole cluster.

Each instance runs in its own process so that its peak memory (resident set) is its own.
Options: ``--days N`` (first N PlanetLab days, default all), ``--quick`` (2 days, 3 fleet hosts).
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing as mp
import os
import resource
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from vmplan.checks import evacuable as evacuable_check  # noqa: E402
from vmplan.evacuate import EvacuateSettings, evacuate, summarize  # noqa: E402
from vmplan.model import VM, Host, Inventory, host_loads, host_memory_use  # noqa: E402
from vmplan.pack import PackSettings, pack  # noqa: E402
from vmplan.problems import Position  # noqa: E402

PLANETLAB = ROOT.parent / "shared" / "data" / "planetlab"
GIB = 2**30
SETTINGS = EvacuateSettings(time_limit=5.0)


@dataclass
class Row:
    instance: str
    hosts: int
    vms: int
    fill: str = ""  # today's CPU peak as a share of the limit: median (max)
    evacuations: int = 0
    infeasible: int = 0
    moves: int = 0  # migrations of the feasible evacuations
    evacuated_vms: int = 0  # VMs on the hosts those evacuations emptied
    room_making: int = 0
    repairs: int = 0
    temporary: int = 0
    busiest: float = 0.0  # mean of the busiest destination's CPU peak share
    times: tuple[float, ...] = ()
    check_s: float | None = None
    peak_rss_mib: float = 0.0


# --- instances ---------------------------------------------------------------------------------


def planetlab_fleet(path: Path, cores: int, seed: int = 0) -> Inventory:
    """Packed at 80% limits; the limits are left at 80% (see ``at_limit``)."""
    with gzip.open(path, "rt") as f:
        next(f)
        rows = [line.rstrip("\n").split(",") for line in f]
    cpu = np.asarray([r[1:] for r in rows], dtype=np.float64)
    n = cpu.shape[0]
    rng = np.random.default_rng(seed)
    memory = rng.choice([1, 2, 2, 4], size=n) * GIB
    where = Position(path.name)
    n_hosts = int(np.ceil((cpu.max(axis=1) / 100).sum() / (cores * 0.8))) + 1
    hosts = tuple(
        Host(f"h{h:03d}", float(cores), cores * 16 * GIB, 0.8, 0.8, False, where)
        for h in range(n_hosts)
    )
    vms = tuple(
        VM(f"vm{v:04d}", hosts[v % n_hosts].name, 1, int(memory[v]), where) for v in range(n)
    )
    demand = np.ascontiguousarray(cpu / 100)
    demand.flags.writeable = False
    spread = Inventory(hosts, vms, (), demand, 300, None, (path.name,))
    packed = pack(spread, PackSettings(time_limit=2.0)).plan
    assert packed.feasible
    used = np.unique(packed.target)
    index = {int(h): k for k, h in enumerate(used)}
    hosts = tuple(replace(hosts[int(h)], name=f"h{k:03d}") for k, h in enumerate(used))
    vms = tuple(
        replace(vm, host=hosts[index[int(packed.target[v])]].name) for v, vm in enumerate(vms)
    )
    return Inventory(hosts, vms, (), demand, 300, None, (path.name,))


def _patterns(rng: np.random.Generator, n: int, samples: int) -> np.ndarray:
    """Office hours (weekdays), nightly batch, steady and bursty CPU % series."""
    hours = (np.arange(samples) * 5 / 60) % 24
    day = (np.arange(samples) * 5 // 60 // 24) % 7
    office = ((hours > 8) & (hours < 18) & (day < 5)).astype(float)
    night = ((hours > 1) & (hours < 4)).astype(float)
    kind = rng.integers(0, 4, size=n)
    base = rng.uniform(3, 20, size=(n, 1))
    amp = rng.uniform(20, 70, size=(n, 1))
    shift = rng.integers(-12, 13, size=n)
    out = np.empty((n, samples))
    for k, pattern in enumerate((office, night, np.zeros(samples), None)):
        idx = np.flatnonzero(kind == k)
        if pattern is None:
            out[idx] = base[idx] + amp[idx] * (rng.random((idx.size, samples)) < 0.02)
        else:
            out[idx] = base[idx] + amp[idx] * np.stack([np.roll(pattern, s) for s in shift[idx]])
    out += rng.normal(0, 3, size=out.shape)
    return np.clip(out, 0, 100)


def synthetic_fleet(vms: int = 10_000, samples: int = 2016, n_hosts: int = 96) -> Inventory:
    rng = np.random.default_rng(1)
    limit = 0.85
    cpu = _patterns(rng, vms, samples)
    vcpus = rng.choice([1, 1, 2, 2, 4, 8], size=vms)
    mem_gib = vcpus * rng.choice([2, 4, 4, 8], size=vms)
    cores = rng.choice([32, 48, 64], size=n_hosts)
    cap = cores * limit
    demand = cpu / 100 * vcpus[:, None]
    demand = np.minimum(demand * (0.5 * cap.sum() / demand.mean(axis=1).sum()), vcpus[:, None])
    host_mem_gib = np.round(cores * (mem_gib.sum() / cores.sum()) / 0.8 / 0.9 / 32) * 32
    # today: largest peak first onto the host left with the lowest peak share (spread by peak)
    load = np.zeros((n_hosts, samples))
    mem = np.zeros(n_hosts)
    where = np.zeros(vms, dtype=np.int64)
    for v in np.argsort(-demand.max(axis=1), kind="stable").tolist():
        peak = (load + demand[v]).max(axis=1)
        ok = (peak <= cap) & (mem + mem_gib[v] <= host_mem_gib * 0.9)
        h = int(np.argmin(np.where(ok, peak / cap, np.inf)))
        assert ok[h]
        load[h] += demand[v]
        mem[h] += mem_gib[v]
        where[v] = h
    hosts = tuple(
        Host(
            f"esx{h:03d}",
            float(cores[h]),
            int(host_mem_gib[h]) * GIB,
            limit,
            0.9,
            False,
            Position("fleet.yaml", h + 1),
        )
        for h in range(n_hosts)
    )
    vm_list = tuple(
        VM(
            f"vm{v:05d}",
            hosts[where[v]].name,
            int(vcpus[v]),
            int(mem_gib[v]) * GIB,
            Position("fleet.yaml", 200 + v),
        )
        for v in range(vms)
    )
    demand = np.ascontiguousarray(demand)
    demand.flags.writeable = False
    return Inventory(hosts, vm_list, (), demand, 300, datetime(2026, 11, 2, tzinfo=UTC))


# --- measuring ---------------------------------------------------------------------------------


def measure(name: str, inv: Inventory, hosts: list[int], check: bool) -> Row:
    loads = host_loads(inv, inv.current).max(axis=1) / inv.cpu_cap
    mem = host_memory_use(inv, inv.current) / inv.mem_cap
    row = Row(name, len(inv.hosts), len(inv.vms))
    row.fill = f"{np.median(loads):.0%} ({loads.max():.0%}), mem {np.median(mem):.0%}"
    times = []
    busiest = []
    for h in hosts:
        started = time.perf_counter()
        plan = evacuate(inv, [h], SETTINGS)
        times.append(time.perf_counter() - started)
        row.evacuations += 1
        if not plan.feasible:
            row.infeasible += 1
            continue
        s = summarize(inv, plan)
        row.moves += len(plan.moves)
        row.evacuated_vms += s.evacuated_vms
        row.room_making += s.room_making
        row.repairs += s.repairs
        row.temporary += s.temporary
        if s.busiest is not None:
            busiest.append(s.busiest_share)
    row.times = tuple(times)
    row.busiest = float(np.mean(busiest)) if busiest else 0.0
    if check:
        started = time.perf_counter()
        findings = evacuable_check.check(inv, inv.current)
        row.check_s = time.perf_counter() - started
        row.instance += f" [check: {len(findings)} host(s) not evacuable]"
    return row


def _run(job: tuple[str, str, int, bool], out: mp.Queue) -> None:  # type: ignore[type-arg]
    kind, arg, cores, quick = job
    rows = []
    if kind == "planetlab":
        name = f"planetlab {Path(arg).name[:8]} {cores}c"
        packed = planetlab_fleet(Path(arg), cores)
        for limit, label in ((0.9, ""), (0.83, " tight")):
            inv = packed.with_limits(limit, limit)
            rows.append(measure(name + label, inv, list(range(len(inv.hosts))), False))
    else:
        inv = synthetic_fleet()
        step = len(inv.hosts) // (3 if quick else 10)
        hosts = list(range(0, len(inv.hosts), step))[: 3 if quick else 10]
        rows.append(measure("synthetic 10k x 2016", inv, hosts, True))
    for row in rows:  # the process's peak: building the instance, packing and evacuating
        row.peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(rows)


def run_isolated(job: tuple[str, str, int, bool]) -> list[Row]:
    ctx = mp.get_context("fork")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    proc = ctx.Process(target=_run, args=(job, out))
    proc.start()
    rows: list[Row] = out.get()
    proc.join()
    return rows


def table(rows: list[Row]) -> str:
    head = (
        "instance",
        "hosts",
        "VMs",
        "today: CPU peak/limit median (max), memory",
        "evacuations",
        "infeasible",
        "migrations per evacuated VM",
        "room-making moves",
        "busiest destination (mean)",
        "time per evacuation mean / max",
        "check --evacuable",
        "peak RSS",
    )
    lines = []
    for r in rows:
        per_vm = f"{r.moves / r.evacuated_vms:.3f}" if r.evacuated_vms else "-"
        extra = [
            f"{r.repairs} repairs" if r.repairs else "",
            f"{r.temporary} temporary" if r.temporary else "",
        ]
        room = f"{r.room_making}" + (
            f" (+{', '.join(e for e in extra if e)})" if any(extra) else ""
        )
        t = np.array(r.times) if r.times else np.zeros(1)
        check = f"{r.check_s:.1f} s" if r.check_s is not None else "-"
        lines.append(
            (
                r.instance,
                str(r.hosts),
                str(r.vms),
                r.fill,
                str(r.evacuations),
                str(r.infeasible),
                per_vm,
                room,
                f"{r.busiest:.0%}" if r.busiest else "-",
                f"{t.mean():.3f} / {t.max():.3f} s",
                check,
                f"{r.peak_rss_mib:.0f} MiB",
            )
        )
    widths = [max(len(h), *(len(line[k]) for line in lines)) for k, h in enumerate(head)]
    fmt = " | ".join(f"{{:{'<' if k in (0, 3) else '>'}{w}}}" for k, w in enumerate(widths))
    out = [fmt.format(*head), "-+-".join("-" * w for w in widths)]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=None, help="only the first N PlanetLab days")
    parser.add_argument("--quick", action="store_true", help="2 days and 3 fleet hosts")
    args = parser.parse_args()
    days = sorted(PLANETLAB.glob("*.csv.gz"))
    days = days[: 2 if args.quick else args.days]
    jobs = [("planetlab", str(d), c, args.quick) for c in (8, 16) for d in days]
    jobs.append(("synthetic", "", 0, args.quick))
    started = time.perf_counter()
    rows = []
    for job in jobs:
        rows += run_isolated(job)
        print(f"  done: {rows[-1].instance}", file=sys.stderr, flush=True)
    rows.sort(key=lambda r: ("synthetic" in r.instance, "tight" in r.instance))
    print(f"vmplan evacuate benchmark, {os.cpu_count()} CPU(s), numpy {np.__version__}")
    print(table(rows))
    print(f"total wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
