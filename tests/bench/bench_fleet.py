"""Benchmark of ``vmplan pack`` on a fleet of clusters: ``python tests/bench/bench_fleet.py``.

Writes a seeded fleet (``tests/fleetgen.py``): CLUSTERS clusters of VMS VMs on HOSTS hosts each,
SAMPLES samples (2,016 = a week at 5 minutes), one YAML and one ``cpu_series`` CSV per cluster,
all merged on the command line. Then runs ``vmplan pack`` end to end (load, solve, render JSON)
in a fresh process for every way of running it and prints one table: wall time, peak resident
memory of the vmplan process and of its largest worker, and whether the JSON is byte-identical
to the ``--jobs 1`` run; and the time to load the fleet alone with each ``--jobs``.

``--risk none`` plans on the history itself, so the solver is measured without the sizing's
calibration (which would pack every cluster several times more). ``--time-limit`` (default 5 s,
vmplan's default) applies to each cluster.

Options: ``--clusters 20 --vms 5000`` (``--hosts``: per cluster, default VMs / 25) (the issue's target: 100,000 VMs, ~1.6 GB of
demand), ``--jobs 1,2``, ``--dask 4`` (also on a LocalCluster of that many one-thread workers;
needs vmplan[dask]), ``--keep DIR`` (write the fleet there and keep it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from fleetgen import write_fleet  # noqa: E402


def run(args: list[str], out: Path) -> tuple[float, float]:
    """Wall seconds, and the peak RSS (MiB) of the largest process among vmplan and the workers
    it started and reaped (``wait4``; Dask workers live outside and are not counted)."""
    started = time.monotonic()
    with open(out, "wb") as f:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vmplan", *args], stdout=f, stderr=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"vmplan {' '.join(args)} exited {proc.returncode}")
    return wall, usage.ru_maxrss / 1024


#: Loading alone, as pack and evacuate load with ``--jobs N`` (files read side by side).
LOAD = """
import sys, time
from functools import partial
from vmplan.fleet import Where, run
from vmplan.inventory import load
if __name__ == "__main__":
    started = time.monotonic()
    load(sys.argv[2:], each=partial(run.each, where=Where(int(sys.argv[1]))))
    print(time.monotonic() - started)
"""


def load_only(files: list[str], jobs: int) -> float:
    """Seconds to load the fleet in a fresh process with ``--jobs`` processes."""
    out = subprocess.run(
        [sys.executable, "-c", LOAD, str(jobs), *files], check=True, capture_output=True, text=True
    )
    return float(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clusters", type=int, default=4)
    ap.add_argument("--vms", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=0, help="per cluster; default VMs / 25")
    ap.add_argument("--samples", type=int, default=2016)
    ap.add_argument("--time-limit", default="5")
    ap.add_argument("--jobs", default="1,2")
    ap.add_argument("--dask", type=int, default=0)
    ap.add_argument("--keep", type=Path)
    a = ap.parse_args()
    a.hosts = a.hosts or max(2, a.vms // 25)  # room for today's spread, about 60% packable
    folder = a.keep or Path(tempfile.mkdtemp(prefix="bench_fleet_"))
    started = time.monotonic()
    files = [str(p) for p in write_fleet(folder, a.clusters, a.vms, a.hosts, a.samples)]
    print(
        f"fleet: {a.clusters} clusters x {a.vms} VMs x {a.samples} samples on {a.hosts} hosts "
        f"each, written in {time.monotonic() - started:.1f} s to {folder}"
    )
    base = ["pack", *files, "-f", "json", "--risk", "none", "--time-limit", a.time_limit]
    ways = [(f"--jobs {j}", ["--jobs", j]) for j in a.jobs.split(",")]
    cluster = None
    if a.dask:
        from distributed import LocalCluster

        cluster = LocalCluster(
            n_workers=a.dask, threads_per_worker=1, processes=True, dashboard_address=None
        )
        ways.append((f"Dask {a.dask} workers", ["--scheduler", cluster.scheduler_address]))
    print(f"{'run':<18} {'wall s':>8} {'peak MiB':>9} {'vs first':>9}  same JSON")
    load_s, load_mib = run(["check", *files, "-f", "json"], folder / "check.json")
    print(f"{'load (check)':<18} {load_s:>8.1f} {load_mib:>9.0f}")
    for jobs in a.jobs.split(","):
        print(f"{'  load, --jobs ' + jobs:<18} {load_only(files, int(jobs)):>8.1f}")
    first: tuple[float, bytes] | None = None
    try:
        for name, extra in ways:
            out = folder / f"plan{len(name)}{extra[-1][-4:].replace(':', '')}.json"
            wall, rss = run([*base, *extra], out)
            data = out.read_bytes()
            first = first or (wall, data)
            ratio = wall / first[0]
            same = "yes" if data == first[1] else "NO"
            print(f"{name:<18} {wall:>8.1f} {rss:>9.0f} {ratio:>9.2f}  {same}")
            if name == "--jobs 1":
                per = (wall - load_s) / a.clusters
                print(f"{'  per cluster':<18} {per:>8.1f}   (--jobs 1 less the load, / clusters)")
    finally:
        if cluster is not None:
            cluster.close()
    print(f"load average now: {os.getloadavg()[0]:.1f} (2 cores are shared)")


if __name__ == "__main__":
    main()
