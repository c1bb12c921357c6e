"""What ``pack --spare N`` costs: ``python tests/bench/bench_spare.py [--days N] [--cores 8 16]``.

For the first PlanetLab days (../shared/data/planetlab; VMs of 1 vCPU, hosts of 8 or 16 cores at
an 80% CPU limit, as ``instances.planetlab_day`` builds them), packs with ``--spare 0``, ``1``
and ``2`` on the series as given (``--fleet N``: also the synthetic fleet of
``instances.synthetic_fleet`` with N VMs, spare 0 and 1) and prints one table: hosts used, the extra hosts over spare 0,
the lower bound, the room checks run (each one every used host's evacuation, verified) and their
time, and the whole pack's time. A table, never a timed assertion; say the load with the figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from instances import planetlab_day, planetlab_days, synthetic_fleet  # noqa: E402

from vmplan.evacuate.room import spare_check  # noqa: E402
from vmplan.inventory import load  # noqa: E402
from vmplan.model import IntArray, Inventory  # noqa: E402
from vmplan.pack import PackSettings, pack  # noqa: E402


def run(inv: Inventory, spare: int, time_limit: float) -> tuple[int, int, int, float, float]:
    settings = PackSettings(time_limit=time_limit, spare=spare)
    checks, spent = 0, 0.0
    inner = spare_check(spare, settings) if spare else None

    def timed(after: Inventory, placement: IntArray, enough: int | None) -> list[int]:
        nonlocal checks, spent
        assert inner is not None
        started = time.monotonic()
        bad = inner(after, placement, enough)
        checks, spent = checks + 1, spent + time.monotonic() - started
        return bad

    started = time.monotonic()
    result = pack(inv, settings, None, timed if spare else None)
    took = time.monotonic() - started
    assert result.plan.feasible
    hosts = int(np.unique(result.plan.target).size)
    return hosts, result.plan.lower_bound, checks, spent, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--cores", type=int, nargs="+", default=[8])
    parser.add_argument("--time-limit", type=float, default=2.0)
    parser.add_argument(
        "--fleet", type=int, nargs="*", default=[], help="also synthetic fleets of N VMs"
    )
    args = parser.parse_args()
    head = "day       cores VMs  spare hosts extra bound checks check_s pack_s"
    print(head)
    print("-" * len(head))
    for path in planetlab_days()[: args.days]:
        for cores in args.cores:
            inv = planetlab_day(path, cores).with_limits(0.8)
            base = 0
            for spare in (0, 1, 2):
                hosts, bound, checks, spent, took = run(inv, spare, args.time_limit)
                base = base or hosts
                day = path.name.split(".")[0]
                print(
                    f"{day:9} {cores:5} {len(inv.vms):4} {spare:5} {hosts:5} {hosts - base:5} "
                    f"{bound:5} {checks:6} {spent:7.2f} {took:6.2f}"
                )
    for vms in args.fleet:
        with tempfile.TemporaryDirectory() as folder:
            inv = load([synthetic_fleet(Path(folder), vms)]).inventory
        cores = int(inv.host_cores.max())
        base = 0
        for spare in (0, 1):
            hosts, bound, checks, spent, took = run(inv, spare, args.time_limit)
            base = base or hosts
            print(
                f"{'fleet':9} {cores:5} {vms:4} {spare:5} {hosts:5} {hosts - base:5} "
                f"{bound:5} {checks:6} {spent:7.2f} {took:6.2f}"
            )
    print(f"load average {os.getloadavg()[0]:.1f} (cores: {os.cpu_count()})")


if __name__ == "__main__":
    main()
