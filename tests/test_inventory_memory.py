"""Under a memory limit (``ulimit -v``): memory grows with the file read, never with the size
limit, and a file too large for the memory there is is an input problem (exit 2), not a bug.

Each case runs ``python -m vmplan check`` in a process whose address space is limited with
``resource.setrlimit(RLIMIT_AS)``; OpenBLAS is kept to one thread, whose buffers fit the limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.memory_limit,
    pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux"),
]

LIMIT_BYTES = 600 << 20  # vmplan with numpy loaded takes well under half of this
INVENTORY = (
    "version: 1\ncpu_series: cpu.csv\n"
    "hosts: [{name: esx01, cpus: 32, memory: 512GiB}]\n"
    "vms: [{name: web01, host: esx01, vcpus: 4, memory: 16GiB}]\n"
)


def check_limited(path: Path) -> subprocess.CompletedProcess[str]:
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "vmplan", "check", str(path)],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=path.parent,
    )


def test_a_tiny_csv_loads_under_a_memory_limit(tmp_path: Path) -> None:
    (tmp_path / "cpu.csv").write_text("timestamp,web01\n0,10\n1,20\n")
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY)
    result = check_limited(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "ok: 1 hosts, 1 VMs, 2 samples, no findings\n"


def test_a_csv_larger_than_memory_is_an_input_problem(tmp_path: Path) -> None:
    csv = tmp_path / "cpu.csv"
    with csv.open("wb") as f:  # text first, then a hole: 1 GiB on the disk's books only
        f.write(b"timestamp,web01\n" + b"0,10\n" * 20_000)
        f.truncate(1 << 30)
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY)
    result = check_limited(path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"{path}:2:13: error: cpu_series: cpu.csv: not enough memory to read {csv}  [input]",
        "invalid input: 1 error(s), 0 warning(s)",
    ]
    assert "Traceback" not in result.stderr


def test_an_inventory_larger_than_memory_is_an_input_problem(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    with path.open("wb") as f:
        f.write(b"version: 1\n" + b"# padding\n" * 10_000)
        f.truncate(200 << 20)  # under the 256 MiB limit for an inventory
    result = check_limited(path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"{path}: error: not enough memory to read {path}  [input]",
        "invalid input: 1 error(s), 0 warning(s)",
    ]
