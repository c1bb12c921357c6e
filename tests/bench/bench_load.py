"""Load benchmark: time and peak memory of ``vmplan.inventory.load`` on a large inventory.

    python tests/bench/bench_load.py [--vms 10000] [--samples 2016] [--repeat 3] [--lists]
                                     [--profile CASE] [--parsers]

Builds, in a temporary folder (fixed seed), the same fleet written two ways: every VM's series as
an inline string (``cpu: "12.5 13 ..."``) and as one wide ``cpu_series`` CSV; ``--lists`` adds
inline YAML lists (``cpu: [12.5, 13, ...]``: one YAML node per sample, which past 2,000,000
nodes the loader refuses, so at full size this case shows how fast that happens). Hosts have
32, 48 or 64 cores and 384 GiB to 1 TiB of memory; VMs 1-16 vCPUs and 2-64 GiB, with office-hours,
nightly-batch and noisy-flat CPU patterns, values with one decimal.

The files are written by one process and every run is another fresh Python process, so the
numbers are independent: ``load`` is the wall time of ``load()`` alone (the best of ``--repeat``
runs), ``peak RSS`` the process's high-water resident set after loading (VmHWM on Linux, else
ru_maxrss) and ``+load`` its growth over the mark before ``load()`` (interpreter, numpy and vmplan
already imported). ``--profile CASE`` prints the top of a cProfile of one load.

``--parsers`` times only the parse of the fleet CSV (``csvseries.parse_csv`` on its bytes), with
the vectorised plain-decimal reader (``decimals.py``) and with numpy's ``loadtxt`` path, in
alternation in one fresh process, ``--repeat`` times each, on 2 threads and on 1.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CASES = ("string", "csv", "list")


def patterns(rng: np.random.Generator, vms: int, samples: int) -> np.ndarray:
    """CPU % per VM and 5-minute sample: office hours, nightly batch, or flat noise."""
    hours = (np.arange(samples) * 5 / 60) % 24
    office = np.where((hours >= 8) & (hours < 18), 1.0, 0.0)
    night = np.exp(-0.5 * ((np.minimum(np.abs(hours - 2), 24 - np.abs(hours - 2))) / 1.0) ** 2)
    kind = rng.integers(0, 3, size=vms)
    base = rng.uniform(2, 20, size=(vms, 1))
    height = rng.uniform(20, 70, size=(vms, 1))
    shape = np.where((kind == 0)[:, None], office, np.where((kind == 1)[:, None], night, 0.0))
    noise = rng.normal(0, 3, size=(vms, samples))
    return np.clip(base + height * shape + noise, 0, 100).round(1)


def build(folder: Path, vms: int, samples: int, seed: int, lists: bool) -> dict[str, Path]:
    """Write the inventories; returns case -> YAML path."""
    rng = np.random.default_rng(seed)
    cpu = patterns(rng, vms, samples)
    vcpus = rng.choice([1, 2, 2, 4, 4, 8, 16], size=vms)
    memory = np.minimum(vcpus * rng.choice([2, 4, 8], size=vms), 64)
    n_hosts = max(1, vms // 25)
    cores = rng.choice([32, 48, 64], size=n_hosts)
    host_memory = {32: "384GiB", 48: "768GiB", 64: "1TiB"}
    head = "version: 1\ninterval: 5m\nstart: 2026-11-02T00:00:00Z\nlimits: {cpu: 80%}\n"
    hosts = "hosts:\n" + "".join(
        f"  - {{name: esx{h:04d}, cpus: {c}, memory: {host_memory[int(c)]}}}\n"
        for h, c in enumerate(cores)
    )
    names = [f"vm{v:05d}" for v in range(vms)]
    vm_head = [
        f"  - {{name: {names[v]}, host: esx{v % n_hosts:04d}, vcpus: {vcpus[v]}, "
        f"memory: {memory[v]}GiB"
        for v in range(vms)
    ]
    # one formatted string per possible value (0.0 .. 100.0): joining them is fast
    table = np.array([f"{i / 10:g}" for i in range(1001)], dtype=object)
    codes = np.rint(cpu * 10).astype(np.int64)
    texts = [" ".join(table[row]) for row in codes]
    paths: dict[str, Path] = {}

    path = folder / "string.yaml"
    with path.open("w") as f:
        f.write(head + hosts + "vms:\n")
        for v in range(vms):
            f.write(f'{vm_head[v]}, cpu: "{texts[v]}"}}\n')
    paths["string"] = path

    with (folder / "cpu.csv").open("w") as f:
        f.write("timestamp," + ",".join(names) + "\n")
        for t in range(samples):
            minutes = t * 5
            stamp = (
                f"2026-11-{2 + minutes // 1440:02d}T{minutes // 60 % 24:02d}:{minutes % 60:02d}Z"
            )
            f.write(stamp + "," + ",".join(table[codes[:, t]]) + "\n")
    path = folder / "csv.yaml"
    path.write_text(
        head
        + "cpu_series: cpu.csv\n"
        + hosts
        + "vms:\n"
        + "".join(f"{vm_head[v]}}}\n" for v in range(vms))
    )
    paths["csv"] = path

    if lists:
        path = folder / "list.yaml"
        with path.open("w") as f:
            f.write(head + hosts + "vms:\n")
            for v in range(vms):
                f.write(f"{vm_head[v]}, cpu: [{texts[v].replace(' ', ', ')}]}}\n")
        paths["list"] = path
    return paths


def peak_kib() -> int:
    """This process's high-water RSS in KiB (VmHWM is per process image, unlike ru_maxrss which
    Linux carries over from the parent across fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss  # bytes on macOS


def child(path: str, profile: bool) -> None:
    """Runs in a fresh process: load once, print a JSON line with the measurements."""
    from vmplan.inventory import load
    from vmplan.problems import InputError

    before = peak_kib()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        loaded = load([path])
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        seconds = float("nan")
    else:
        start = time.perf_counter()
        try:
            loaded = load([path])
        except InputError as exc:  # e.g. YAML lists past the node limit: report how fast
            seconds = time.perf_counter() - start
            refused = exc.problems[0].message
            print(json.dumps({"seconds": seconds, "peak_kib": peak_kib(), "refused": refused}))
            return
        seconds = time.perf_counter() - start
    after = peak_kib()
    inv = loaded.inventory
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_kib": after,
                "load_kib": after - before,
                "shape": list(inv.demand.shape),
                "checksum": float(inv.demand.sum()),
            }
        )
    )


def parsers(csv: str, repeat: int) -> None:
    """Runs in a fresh process: parse_csv with and without decimals.csv_columns, alternating."""
    from unittest import mock

    from vmplan.inventory import csvseries, decimals

    data = Path(csv).read_bytes()
    real = decimals.csv_columns
    for workers in (2, 1):
        times: dict[str, list[float]] = {"decimals": [], "loadtxt": []}
        for _ in range(repeat):
            for name, reader in (("decimals", real), ("loadtxt", lambda *a, **k: None)):
                with mock.patch.object(decimals, "csv_columns", reader):
                    start = time.perf_counter()
                    table, problems = csvseries.parse_csv(data, csv, workers=workers)
                    times[name].append(time.perf_counter() - start)
                assert table is not None and not problems
                del table
        for name, runs in times.items():
            print(
                f"{name:<9} {workers} thread(s)  best {min(runs):.2f} s  "
                f"runs {' '.join(f'{t:.2f}' for t in runs)}"
            )


def run(path: Path, profile: bool = False) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), *(["--profile-child"] if profile else [])],
        check=True,
        capture_output=not profile,
        text=True,
    )
    return json.loads(out.stdout.splitlines()[-1]) if out.stdout else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vms", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=2016)
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (best time)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lists", action="store_true", help="also inline YAML lists (slow)")
    parser.add_argument("--profile", choices=CASES, help="print a cProfile of one load")
    parser.add_argument(
        "--parsers", action="store_true", help="time the CSV parse: decimals.py against loadtxt"
    )
    parser.add_argument("--parsers-child", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--build", help=argparse.SUPPRESS)
    parser.add_argument("--profile-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.profile_child)
        return
    if args.parsers_child:
        parsers(args.parsers_child, args.repeat)
        return
    lists = args.lists or args.profile == "list"
    if args.build:
        paths = build(Path(args.build), args.vms, args.samples, args.seed, lists)
        print(json.dumps({case: str(path) for case, path in paths.items()}))
        return

    with tempfile.TemporaryDirectory(prefix="vmplan-bench-") as tmp:
        start = time.perf_counter()
        # built in another process, so that this one stays small while it starts the runs
        command = [sys.executable, __file__, "--build", tmp, *sys.argv[1:]]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        paths = {case: Path(p) for case, p in json.loads(out).items()}
        built = time.perf_counter() - start
        print(
            f"{args.vms:,} VMs x {args.samples:,} samples, built in {built:.1f} s "
            f"(python {sys.version.split()[0]}, numpy {np.__version__})\n"
        )
        if args.profile:
            run(paths[args.profile], profile=True)
            return
        if args.parsers:
            csv = str(paths["csv"].parent / "cpu.csv")
            command = [
                sys.executable,
                __file__,
                "--parsers-child",
                csv,
                "--repeat",
                str(args.repeat),
            ]
            subprocess.run(command, check=True)
            return
        header = f"{'case':<8} {'files':>10} {'load (best)':>12} {'runs (s)':>22} {'peak RSS':>10} {'+load':>10}"
        print(header)
        print("-" * len(header))
        checksums = set()
        for case, path in paths.items():
            size = path.stat().st_size + (
                (path.parent / "cpu.csv").stat().st_size if case == "csv" else 0
            )
            results = [run(path) for _ in range(args.repeat)]
            times = [r["seconds"] for r in results]
            if "refused" in results[0]:
                print(
                    f"{case:<8} {size / 2**20:>8.1f}MB {min(times):>10.2f} s "
                    f"{'':>22} {results[0]['peak_kib'] / 1024:>8.0f}MB  refused: "
                    f"{results[0]['refused']}"
                )
                continue
            peak = max(r["peak_kib"] for r in results) / 1024
            grew = max(r["load_kib"] for r in results) / 1024
            checksums.add(round(results[0]["checksum"], 3))
            assert results[0]["shape"] == [args.vms, args.samples]
            print(
                f"{case:<8} {size / 2**20:>8.1f}MB {min(times):>10.2f} s "
                f"{' '.join(f'{t:.2f}' for t in times):>22} {peak:>8.0f}MB {grew:>8.0f}MB"
            )
        if len(checksums) != 1:
            print(f"\nwarning: the cases loaded different demand (sums {sorted(checksums)})")


if __name__ == "__main__":
    main()
