"""A seeded fleet of clusters on disk: one YAML and one cpu_series CSV per cluster.

Each cluster has ``hosts`` hosts of 32 cores and ``vms`` VMs spread round-robin over them, with
office-hours, nightly and flat series (in % of vCPUs) plus noise; the files merge into one
inventory (``vmplan pack c00.yaml c01.yaml ...``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

START = datetime(2026, 11, 2)

#: Two hosts in cluster west, one in east, a VM on each: the smallest fleet with a lonely host.
SMALL = """
version: 1
hosts:
  - {name: a1, cpus: 8, memory: 64GiB, cluster: west}
  - {name: a2, cpus: 8, memory: 64GiB, cluster: west}
  - {name: b1, cpus: 8, memory: 64GiB, cluster: east}
vms:
  - {name: w1, host: a1, vcpus: 2, memory: 4GiB, cpu: [10, 20]}
  - {name: w2, host: a2, vcpus: 2, memory: 4GiB, cpu: [10, 20]}
  - {name: e1, host: b1, vcpus: 2, memory: 4GiB, cpu: [10, 20]}
"""


def west_and_east(hosts: int, limits: str = "") -> str:
    """The head of an inventory: ``hosts`` 8-core hosts in cluster west (a1, a2, ...) and as many
    in east (b1, ...), then ``vms:`` for the caller's VMs. ``limits``: a ``limits:`` mapping."""
    head = ["version: 1", *([f"limits: {limits}"] if limits else []), "hosts:"]
    rows = [
        f"  - {{name: {c}{i}, cpus: 8, memory: 64GiB, cluster: {name}}}"
        for c, name in (("a", "west"), ("b", "east"))
        for i in range(1, hosts + 1)
    ]
    return "\n".join([*head, *rows, "vms:", ""])


def write_fleet(
    folder: Path,
    clusters: int,
    vms: int,
    hosts: int,
    samples: int,
    seed: int = 7,
    named: bool = True,
) -> list[Path]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(samples) % 288  # 5-minute samples of a day
    shapes = np.stack(
        [
            np.where((t >= 96) & (t < 216), 45.0, 5.0),  # office hours
            np.where(t < 60, 60.0, 8.0),  # nightly batch
            np.full(samples, 20.0),  # flat
        ]
    )
    stamps = [
        (START + timedelta(minutes=5 * k)).strftime("%Y-%m-%dT%H:%M:%SZ") for k in range(samples)
    ]
    paths = []
    for c in range(clusters):
        name = f"c{c:02d}"
        kinds = rng.integers(0, 3, vms)
        noise = rng.normal(0.0, 4.0, (vms, samples))
        series = np.clip(shapes[kinds] + noise, 0.0, 100.0).round(0)
        vm_names = [f"{name}-vm{v:05d}" for v in range(vms)]
        with open(folder / f"{name}.csv", "w", encoding="utf-8") as f:
            f.write("timestamp," + ",".join(vm_names) + "\n")
            for k in range(samples):
                row = ",".join(str(int(x)) for x in series[:, k])
                f.write(f"{stamps[k]},{row}\n")
        cluster = f", cluster: {name}" if named else ""
        lines = [
            "version: 1",
            "interval: 5m",
            "start: 2026-11-02T00:00:00Z",
            "limits: {cpu: 80%, memory: 90%}",
            f"cpu_series: {name}.csv",
            "hosts:",
            *(
                f"  - {{name: {name}-esx{h:03d}, cpus: 32, memory: 512GiB{cluster}}}"
                for h in range(hosts)
            ),
            "vms:",
            *(
                f"  - {{name: {vm_names[v]}, host: {name}-esx{v % hosts:03d}, "
                f"vcpus: {int(rng.integers(1, 5))}, memory: {int(rng.integers(2, 17))}GiB}}"
                for v in range(vms)
            ),
        ]
        path = folder / f"{name}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
