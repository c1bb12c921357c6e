"""Regenerate the sample inventories: ``python samples/generate.py [PLANETLAB_DIR]``.

The samples are checked in; this script documents how they were made and makes them again
byte for byte (fixed seeds). Series derived from real PlanetLab traces are read from
``samples/planetlab/traces.csv`` (a few traces copied from ../shared/data/planetlab, see the README
there); pass the PlanetLab folder to re-copy them.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
SAMPLES = 288  # one day of 5-minute samples
HOURS = np.arange(SAMPLES) * 5 / 60  # time of day of every sample
TRACE_DAY = "20110303"
TRACE_COUNT = 24


def bump(center_h: float, width_h: float, height: float) -> np.ndarray:
    d = np.minimum(np.abs(HOURS - center_h), 24 - np.abs(HOURS - center_h))
    return height * np.exp(-0.5 * (d / width_h) ** 2)


def series_text(values: np.ndarray) -> str:
    return " ".join(f"{v:.0f}" for v in np.clip(np.round(values), 0, 100))


def copy_traces(planetlab: Path) -> None:
    with gzip.open(planetlab / f"{TRACE_DAY}.csv.gz", "rt") as f:
        next(f)
        rows = [line.rstrip("\n").split(",") for line in f]
    values = np.array([r[1:] for r in rows], dtype=float)
    # busy but not saturated traces, the kind one would consolidate: mean 15-45%, peak under 95%
    mean, peak = values.mean(axis=1), values.max(axis=1)
    chosen = np.flatnonzero((mean > 15) & (mean < 45) & (peak < 95))[:TRACE_COUNT]
    out = ["trace," + ",".join(str(i) for i in range(SAMPLES))]
    out += [f"{rows[i][0]}," + ",".join(rows[i][1:]) for i in chosen]
    (HERE / "planetlab" / "traces.csv").write_text("\n".join(out) + "\n")


def read_traces() -> list[tuple[str, np.ndarray]]:
    lines = (HERE / "planetlab" / "traces.csv").read_text().splitlines()[1:]
    return [(ln.split(",")[0], np.array(ln.split(",")[1:], dtype=float)) for ln in lines]


SCHEMA_LINE = "# yaml-language-server: $schema=inventory.schema.json\n"


def seed() -> None:
    """Server A peaks 09-10h and 17-19h, B at 06h, 13h and 22h: alone busy, together under 100%."""
    rng = np.random.default_rng(1)
    a = 18 + bump(9.5, 0.6, 52) + bump(18, 0.8, 50) + rng.normal(0, 2, SAMPLES)
    b = 15 + bump(6, 0.5, 55) + bump(13, 0.6, 57) + bump(22, 0.6, 52) + rng.normal(0, 2, SAMPLES)
    text = f"""{SCHEMA_LINE}# Two servers whose CPU peaks come at different times of day.
# Each alone peaks near 70% of a 16-core host; their combined curve stays under 100%, so one host
# carries both: `vmplan pack samples/seed.yaml` frees the second host.
version: 1
interval: 5m
start: 2026-11-02T00:00:00Z
hosts:
  - {{name: host-a, cpus: 16, memory: 128GiB}}
  - {{name: host-b, cpus: 16, memory: 128GiB}}
vms:
  - name: server-a   # office application: 09:00-10:00 and 17:00-19:00
    host: host-a
    vcpus: 16
    memory: 48GiB
    cpu: "{series_text(a)}"
  - name: server-b   # batch and reporting: 06:00, 13:00 and 22:00
    host: host-b
    vcpus: 16
    memory: 48GiB
    cpu: "{series_text(b)}"
"""
    (HERE / "seed.yaml").write_text(text)


def office(rng: np.random.Generator, level: float) -> np.ndarray:
    """Busy 08-18h with a lunch dip, quiet at night."""
    day = np.clip((HOURS - 7.5) * 2, 0, 1) * np.clip((18.5 - HOURS) * 2, 0, 1)
    lunch = bump(12.5, 0.4, 0.35 * level)
    return 4 + level * day - lunch + rng.normal(0, 3, SAMPLES)


def inventory() -> None:
    rng = np.random.default_rng(7)
    traces = read_traces()
    hosts = [(f"esx{i:02d}", 32, "384GiB") for i in range(1, 6)] + [
        (f"esx{i:02d}", 48, "768GiB") for i in range(6, 9)
    ]
    vms: list[tuple[str, int, str, str, np.ndarray]] = []  # name, vcpus, memory, comment, series
    for i in range(1, 13):
        vms.append((f"web{i:02d}", 4, "16GiB", "office hours", office(rng, rng.uniform(35, 60))))
    for i in range(1, 9):
        s = office(rng, rng.uniform(25, 45)) + bump(17.5, 0.7, rng.uniform(10, 25))
        vms.append((f"app{i:02d}", 8, "32GiB", "office hours, end-of-day push", s))
    for i in range(1, 5):
        s = 12 + bump(2.5, 1.0, rng.uniform(45, 70)) + rng.normal(0, 2, SAMPLES)
        vms.append((f"batch{i:02d}", 8, "24GiB", "nightly batch 01:00-04:00", s))
    for i in range(1, 5):
        s = 20 + office(rng, 15) + bump(3.0, 0.5, 25)
        vms.append((f"db{i:02d}", 16, "128GiB", "database, steady with a backup spike", s))
    for i in range(1, 5):
        s = 10 + bump(9, 1.5, 20) + rng.normal(0, 2, SAMPLES)
        vms.append((f"cache{i:02d}", 2, "64GiB", "cache, memory-heavy", s))
    for name, trace in traces[:TRACE_COUNT]:
        vms.append((f"pl{len(vms):02d}", 2, "8GiB", f"PlanetLab trace {name[:40]}", trace))
    vms.append(("lic01", 4, "8GiB", "licensed per host: pinned", office(rng, 30)))
    vms.append(("mon01", 2, "8GiB", "monitoring, flat", 15 + rng.normal(0, 1, SAMPLES)))
    lines = [
        SCHEMA_LINE,
        "# A small cluster: 8 hosts, office-hours web and app tiers, nightly batch, databases,\n",
        "# caches and bursty PlanetLab-derived VMs; one day of 5-minute samples.\n",
        "# Placement today spreads the VMs round-robin over all hosts.\n",
        "version: 1\ninterval: 5m\nstart: 2026-11-02T00:00:00Z\nlimits:\n  cpu: 80%\n  memory: 90%\n",
        "hosts:\n",
    ]
    for name, cpus, mem in hosts:
        lines.append(f"  - {{name: {name}, cpus: {cpus}, memory: {mem}}}\n")
    lines.append("vms:\n")
    for k, (name, vcpus, mem, comment, s) in enumerate(vms):
        host = {"lic01": "esx03", "cache01": "esx01"}.get(name, hosts[k % len(hosts)][0])
        lines.append(f"  - name: {name}   # {comment}\n")
        lines.append(f"    host: {host}\n    vcpus: {vcpus}\n    memory: {mem}\n")
        lines.append(f'    cpu: "{series_text(s)}"\n')
    lines.append(
        "rules:\n"
        "  - {name: db-spread, type: anti-affinity, vms: [db01, db02, db03, db04]}\n"
        "  - {name: web-pair, type: affinity, vms: [web01, cache01]}\n"
        "  - {name: licence, type: pin, vms: [lic01], hosts: [esx03, esx04]}\n"
    )
    (HERE / "inventory.yaml").write_text("".join(lines))


def csv_sample() -> None:
    """A fleet whose series live in a wide CSV next to the inventory (cpu_series)."""
    traces = read_traces()[:16]
    (HERE / "csv").mkdir(exist_ok=True)
    header = "timestamp," + ",".join(f"pl{i:02d}" for i in range(len(traces)))
    rows = [header]
    for t in range(SAMPLES):
        stamp = f"2026-11-02T{t * 5 // 60:02d}:{t * 5 % 60:02d}:00Z"
        rows.append(stamp + "," + ",".join(f"{s[t]:.0f}" for _, s in traces))
    (HERE / "csv" / "cpu.csv").write_text("\n".join(rows) + "\n")
    lines = [
        "# yaml-language-server: $schema=../inventory.schema.json\n",
        "# 16 VMs with real PlanetLab CPU traces, kept in a CSV beside this file (cpu_series).\n",
        "version: 1\ninterval: 5m\nstart: 2026-11-02T00:00:00Z\ncpu_series: cpu.csv\n",
        "hosts:\n",
    ]
    lines += [f"  - {{name: node{i}, cpus: 4, memory: 64GiB}}\n" for i in range(1, 5)]
    lines.append("vms:\n")
    for i in range(len(traces)):
        lines.append(f"  - {{name: pl{i:02d}, host: node{i % 4 + 1}, vcpus: 1, memory: 6GiB}}\n")
    (HERE / "csv" / "inventory.yaml").write_text("".join(lines))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        copy_traces(Path(sys.argv[1]))
    seed()
    inventory()
    csv_sample()
