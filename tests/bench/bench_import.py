"""Benchmark: `vmplan import prometheus --file` on saved query_range responses of a large fleet.

Writes the five responses of N VMs x a week of 5-minute samples (2,016 points per series, values
as Prometheus writes them) into a temporary folder, runs the real command in a child process,
and prints its wall time and peak resident memory (the child's ru_maxrss). Targets (issue 12):
1,000 VMs under 10 s, 10,000 VMs under 60 s.

    python tests/bench/bench_import.py            # 1,000 and 10,000 VMs
    python tests/bench/bench_import.py 1000       # one size
"""

from __future__ import annotations

import json
import os
import resource
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
                f.write(("," if i else "") + f'{{"metric":{json.dumps(labels)},"values":[{pairs}]}}')
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


def run(vms: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory(prefix="vmplan-bench-import-") as tmp:
        folder = Path(tmp)
        size = write_responses(folder, vms)
        files = [f"--file={folder / k}.json" for k in ("cpu", "vcpus", "memory", "host-cores", "host-memory")]
        cmd = [sys.executable, "-m", "vmplan", "import", "prometheus", *files, "-o", str(folder / "fleet.yaml")]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if done.returncode != 0:
            raise SystemExit(f"import failed ({done.returncode}):\n{done.stderr[-2000:]}")
        # ru_maxrss of children is the largest child so far: measure the biggest size last
        return size / 2**20, seconds, max(peak, before) / 1024


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print(f"{'VMs':>7} {'samples':>8} {'cpu.json MiB':>13} {'seconds':>8} {'peak RSS MiB':>13}")
    for vms in sorted(sizes):
        mib, seconds, rss = run(vms)
        print(f"{vms:>7} {N:>8} {mib:>13.0f} {seconds:>8.1f} {rss:>13.0f}", flush=True)


if __name__ == "__main__":
    main()
