"""Benchmark: `vmplan import prometheus --file` on saved query_range responses of a large fleet.

Writes the five responses of N VMs x a week of 5-minute samples (2,016 points per series, values
as Prometheus writes them) into a temporary folder, runs the real command in a child process,
and prints its wall time and peak resident memory (the child's ru_maxrss). Targets (issue 12):
1,000 VMs under 10 s, 10,000 VMs under 60 s.

    python tests/bench/bench_import.py            # 1,000 and 10,000 VMs
    python tests/bench/bench_import.py 1000       # one size

It then imports the same 1,000 VMs as a long CSV (`vmplan import csv`, timestamp,vm,cpu,host,
vcpus,memory; about 88 MB), the size of the issue's "100 MB file".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

T0 = 1795219200  # 2026-11-21T00:00:00Z
STEP = 300
N = 7 * 24 * 12  # a week of 5-minute samples


def write_responses(folder: Path, vms: int, seed: int = 7) -> int:
    """The five saved responses; returns the bytes of cpu.json."""
    rng = np.random.default_rng(seed)
    hosts = max(1, vms // 30)
    times = [str(T0 + k * STEP) for k in range(N)]

    def dump(name: str, series: list[tuple[dict[str, str], list[str]]]) -> None:
        with (folder / name).open("w", encoding="utf-8") as f:
            f.write('{"status":"success","data":{"resultType":"matrix","result":[')
            for i, (labels, values) in enumerate(series):
                pairs = ",".join(f'[{t},"{v}"]' for t, v in zip(times, values, strict=True))
                f.write(
                    ("," if i else "") + f'{{"metric":{json.dumps(labels)},"values":[{pairs}]}}'
                )
            f.write("]}}\n")

    cpu = []
    for v in range(vms):
        vcpus = 4
        level = rng.uniform(0.05, 0.6) * vcpus
        values = np.clip(level + rng.normal(0, 0.2, N), 0, vcpus)
        labels = {"domain": f"vm{v:05d}", "instance": f"kvm{v % hosts:04d}:9177", "job": "libvirt"}
        cpu.append((labels, [repr(float(x)) for x in np.round(values, 6)]))
    dump("cpu.json", cpu)
    del cpu
    for name, value in (("vcpus.json", "4"), ("memory.json", str(8 << 30))):
        dump(
            name,
            [
                ({"domain": f"vm{v:05d}", "instance": f"kvm{v % hosts:04d}:9177"}, [value] * N)
                for v in range(vms)
            ],
        )
    for name, value in (("host-cores.json", "64"), ("host-memory.json", str(512 << 30))):
        dump(name, [({"instance": f"kvm{h:04d}:9100"}, [value] * N) for h in range(hosts)])
    return (folder / "cpu.json").stat().st_size


# the command as vmplan's console script runs it, then the process's own peak memory on stderr
# (measured inside: a forked child's ru_maxrss counts its parent's pages from before exec)
CHILD = (
    "import resource, sys\n"
    "from vmplan import cli\n"
    "code = cli.run()\n"
    "sys.stderr.write(f'maxrss_kib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')\n"
    "sys.exit(code)\n"
)


def write_long_csv(folder: Path, vms: int, seed: int = 7) -> int:
    """series.csv (one row per VM and time, percent with one decimal) and hosts.csv."""
    rng = np.random.default_rng(seed)
    hosts = max(1, vms // 30)
    with (folder / "series.csv").open("w", encoding="utf-8") as f:
        f.write("timestamp,vm,cpu,host,vcpus,memory\n")
        for k in range(N):
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + k * STEP))
            values = rng.uniform(0, 90, vms)
            f.write(
                "".join(
                    f"{stamp},vm{v:05d},{values[v]:.1f},kvm{v % hosts:04d},4,8GiB\n"
                    for v in range(vms)
                )
            )
    (folder / "hosts.csv").write_text(
        "name,cpus,memory\n" + "".join(f"kvm{h:04d},64,512GiB\n" for h in range(hosts)),
        encoding="utf-8",
    )
    return (folder / "series.csv").stat().st_size


def _measure(args: list[str]) -> tuple[float, float]:
    """Seconds and peak MiB of one vmplan command line, in a fresh process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, int(done.stderr.rsplit("maxrss_kib=", 1)[1].split()[0]) / 1024


def run_csv(vms: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory(prefix="vmplan-bench-import-") as tmp:
        folder = Path(tmp)
        subprocess.run([sys.executable, __file__, "--write-csv", tmp, str(vms)], check=True)
        size = (folder / "series.csv").stat().st_size
        args = ["import", "csv", str(folder / "series.csv"), "--hosts", str(folder / "hosts.csv")]
        seconds, rss = _measure([*args, "-o", str(folder / "fleet.yaml")])
        return size / 2**20, seconds, rss


def run(vms: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory(prefix="vmplan-bench-import-") as tmp:
        folder = Path(tmp)
        # written by a child too, so that this process stays small
        subprocess.run([sys.executable, __file__, "--write", tmp, str(vms)], check=True)
        size = (folder / "cpu.json").stat().st_size
        files = [
            f"--file={folder / k}.json"
            for k in ("cpu", "vcpus", "memory", "host-cores", "host-memory")
        ]
        seconds, rss = _measure(["import", "prometheus", *files, "-o", str(folder / "fleet.yaml")])
        return size / 2**20, seconds, rss


def main() -> None:
    if sys.argv[1:2] == ["--write"]:
        write_responses(Path(sys.argv[2]), int(sys.argv[3]))
        return
    if sys.argv[1:2] == ["--write-csv"]:
        write_long_csv(Path(sys.argv[2]), int(sys.argv[3]))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print(f"{'VMs':>7} {'samples':>8} {'cpu.json MiB':>13} {'seconds':>8} {'peak RSS MiB':>13}")
    for vms in sorted(sizes):
        mib, seconds, rss = run(vms)
        print(f"{vms:>7} {N:>8} {mib:>13.0f} {seconds:>8.1f} {rss:>13.0f}", flush=True)
    print(f"{'VMs':>7} {'samples':>8} {'long CSV MiB':>13} {'seconds':>8} {'peak RSS MiB':>13}")
    mib, seconds, rss = run_csv(1000)
    print(f"{1000:>7} {N:>8} {mib:>13.0f} {seconds:>8.1f} {rss:>13.0f}", flush=True)


if __name__ == "__main__":
    main()
