"""Benchmark instances, built from scratch by the scripts that use them (fixed seeds).

- ``planetlab_day(path)``: one PlanetLab day (../shared/data/planetlab): every VM 1 vCPU with the
  trace as its CPU %, hosts of 8 and 16 cores, memory drawn from a fixed seed, VMs placed today
  round-robin on as many hosts as their peaks need (what sizing by peak gives).
- ``synthetic_fleet(dir)``: 10,000 VMs x 2,016 samples (a week of 5 minutes) written as an
  inventory YAML plus a ``cpu_series`` CSV: office-hours, nightly batch, steady and bursty VMs of
  1-16 vCPUs and 2-128 GiB, hosts of 32-64 cores and 384-1024 GiB so CPU and memory both bind.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from vmplan.model import VM, Host, Inventory
from vmplan.problems import Position

GIB = 2**30
# ../shared/data/planetlab from the repository, whether it is checked out in /work/main or in a
# worktree one level deeper (/work/wt/NAME)
PLANETLAB = next(
    (
        p / "shared" / "data" / "planetlab"
        for p in Path(__file__).resolve().parents[2:5]
        if (p / "shared" / "data" / "planetlab").is_dir()
    ),
    Path(__file__).resolve().parents[3] / "shared" / "data" / "planetlab",
)
#: ../shared/data (the temporal bin packing set sits beside the PlanetLab days)
DATA = PLANETLAB.parent


def planetlab_days() -> list[Path]:
    return sorted(PLANETLAB.glob("*.csv.gz"))


def planetlab_traces(path: Path) -> tuple[list[str], np.ndarray]:
    """The trace names of one PlanetLab day and their CPU % (VMs x 288 samples)."""
    with gzip.open(path, "rt") as f:
        next(f)
        rows = [line.rstrip("\n").split(",") for line in f]
    return [r[0] for r in rows], np.asarray([r[1:] for r in rows], dtype=np.float64)


def planetlab_day(path: Path, cores: int = 8, seed: int = 0) -> Inventory:
    return planetlab_inventory(planetlab_traces(path)[1], cores, seed, path)


def planetlab_inventory(
    cpu: np.ndarray, cores: int, seed: int, path: Path, cpu_limit: float = 1.0, spare: float = 0
) -> Inventory:
    """VMs of 1 vCPU with ``cpu`` (%) as their series, placed today first-fit by peak; ``spare``
    adds that share of empty hosts (room for plans sized more cautiously than the peak)."""
    rng = np.random.default_rng(seed)
    n = cpu.shape[0]
    memory = (rng.choice([0.5, 1, 1, 1.5], size=n) * GIB).astype(np.int64)
    host_mem = 64 * GIB if cores == 8 else 128 * GIB
    # today's placement: first-fit by peak, the way a spreadsheet sizes (always valid)
    peaks = cpu.max(axis=1) / 100
    current: list[int] = []
    free_cpu: list[float] = []
    free_mem: list[float] = []
    for v in range(n):
        for h in range(len(free_cpu)):
            if free_cpu[h] >= peaks[v] and free_mem[h] >= memory[v]:
                break
        else:
            free_cpu.append(float(cores))
            free_mem.append(float(host_mem))
            h = len(free_cpu) - 1
        free_cpu[h] -= peaks[v]
        free_mem[h] -= memory[v]
        current.append(h)
    n_hosts = len(free_cpu) + int(np.ceil(spare * len(free_cpu)))
    where = Position(path.name)
    hosts = tuple(
        Host(f"h{i:04d}", cores, host_mem, cpu_limit, 1.0, False, where) for i in range(n_hosts)
    )
    vms = tuple(
        VM(f"vm{v:05d}", hosts[current[v]].name, 1, int(memory[v]), where) for v in range(n)
    )
    return Inventory(hosts, vms, (), np.ascontiguousarray(cpu / 100.0), 300, None, (str(path),))


def _patterns(rng: np.random.Generator, n: int, samples: int) -> np.ndarray:
    hours = (np.arange(samples) * 5 / 60) % 24
    day = (np.arange(samples) * 5 // 60 // 24) % 7
    weekday = day < 5
    office = ((hours > 8) & (hours < 18) & weekday).astype(float)
    night = ((hours > 1) & (hours < 4)).astype(float)
    kind = rng.integers(0, 4, size=n)
    base = rng.uniform(2, 15, size=(n, 1))
    amp = rng.uniform(10, 60, size=(n, 1))
    shift = rng.integers(-12, 13, size=n)
    out = np.empty((n, samples), dtype=np.float64)
    for k, pattern in enumerate((office, night, np.zeros(samples), None)):
        idx = np.flatnonzero(kind == k)
        if pattern is None:  # bursty: spikes at random times
            spikes = rng.random((idx.size, samples)) < 0.02
            out[idx] = base[idx] + amp[idx] * spikes
        else:
            rolled = np.stack([np.roll(pattern, s) for s in shift[idx]])
            out[idx] = base[idx] + amp[idx] * rolled
    out += rng.normal(0, 3, size=out.shape)
    return np.clip(np.round(out), 0, 100)


def synthetic_fleet(folder: Path, vms: int = 10_000, samples: int = 2016, seed: int = 1) -> Path:
    """Write ``fleet.yaml`` + ``fleet-cpu.csv`` into ``folder``; returns the YAML path."""
    rng = np.random.default_rng(seed)
    cpu = _patterns(rng, vms, samples)
    vcpus = rng.choice([1, 1, 2, 2, 2, 4, 4, 8], size=vms)
    memory_gib = np.minimum(vcpus * rng.choice([1, 2, 4], size=vms), 64)
    # today: sized by peak (first fit on peak cores and memory), which leaves room to consolidate
    peak_cores = cpu.max(axis=1) / 100 * vcpus
    cores_list: list[int] = []
    free_cpu: list[float] = []
    free_mem: list[float] = []
    current = np.empty(vms, dtype=np.int64)
    for v in range(vms):
        for h in range(max(0, len(free_cpu) - 8), len(free_cpu)):
            if free_cpu[h] >= peak_cores[v] and free_mem[h] >= memory_gib[v]:
                break
        else:
            c = int(rng.choice([32, 48, 64]))
            cores_list.append(c)
            free_cpu.append(c * 0.85)
            free_mem.append({32: 384, 48: 768, 64: 1024}[c])
            h = len(free_cpu) - 1
        free_cpu[h] -= peak_cores[v]
        free_mem[h] -= memory_gib[v]
        current[v] = h
    n_hosts = len(cores_list)
    cores = np.array(cores_list)
    host_mem = np.where(cores == 32, 384, np.where(cores == 48, 768, 1024))
    lines = ["version: 1", "interval: 5m", "start: 2026-11-02T00:00:00Z", "limits: {cpu: 85%}"]
    lines.append("cpu_series: fleet-cpu.csv")
    lines.append("hosts:")
    lines += [
        f"  - {{name: esx{h:03d}, cpus: {cores[h]}, memory: {host_mem[h]}GiB}}"
        for h in range(n_hosts)
    ]
    lines.append("vms:")
    lines += [
        f"  - {{name: vm{v:05d}, host: esx{current[v]:03d}, vcpus: {vcpus[v]}, memory: {memory_gib[v]}GiB}}"
        for v in range(vms)
    ]
    yaml_path = folder / "fleet.yaml"
    yaml_path.write_text("\n".join(lines) + "\n")
    with open(folder / "fleet-cpu.csv", "w") as f:
        f.write("timestamp," + ",".join(f"vm{v:05d}" for v in range(vms)) + "\n")
        start = datetime(2026, 11, 2, tzinfo=UTC)
        for t in range(samples):  # past the month's end too (30 days: 8,640 samples)
            stamp = (start + timedelta(minutes=5 * t)).strftime("%Y-%m-%dT%H:%M:%SZ")
            f.write(stamp + "," + ",".join(map(str, cpu[:, t].astype(int))) + "\n")
    return yaml_path


def table(header: list[str], rows: list[list[str]]) -> str:
    """Rows under a header, columns padded to their widest cell, as the benchmarks print them."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]
    ]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
