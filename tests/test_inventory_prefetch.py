"""A large cpu_series CSV parsed by a second process loads exactly like one read in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from vmplan.inventory import load, loader, prefetch, series
from vmplan.problems import InputError

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the prefetch forks: Linux only")

INVENTORY = """\
version: 1
cpu_series: {csv}
hosts:
  - {{name: esx01, cpus: 16, memory: 64GiB}}
vms:
  - {{name: web01, host: esx01, vcpus: 4, memory: 8GiB}}
  - {{name: web02, host: esx01, vcpus: 2, memory: 8GiB}}
"""


@pytest.fixture
def every_csv_prefetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Prefetch even small files, and record which files were."""
    started: list[str] = []
    real = prefetch.Prefetch.start.__func__  # type: ignore[attr-defined]

    def start(cls: type[prefetch.Prefetch], path: Path, max_bytes: int) -> object:
        job = real(cls, path, max_bytes)
        if job is not None:
            started.append(path.name)
        return job

    monkeypatch.setattr(prefetch, "MIN_BYTES", 0)
    monkeypatch.setattr(prefetch.Prefetch, "start", classmethod(start))
    return started


def test_a_prefetched_csv_loads_like_one_read_here(write, every_csv_prefetched) -> None:
    rows = "".join(f"t{t},{t % 97}.5,{(3 * t) % 100}\n" for t in range(300))
    csv = write("cpu.csv", "timestamp,web01,web02\n" + rows)
    path = write("inv.yaml", INVENTORY.format(csv="cpu.csv"))
    got = load([path]).inventory.demand
    assert every_csv_prefetched == ["cpu.csv"]
    table, problems = series.read_csv(csv, str(csv), loader.MAX_CSV_BYTES)
    assert table is not None and not problems
    assert np.array_equal(got, table.values * (np.array([[4.0], [2.0]]) / 100.0))  # as the loader


def test_problems_found_by_the_child_are_reported_with_their_positions(
    write, every_csv_prefetched
) -> None:
    write("cpu.csv", "timestamp,web01,web02\nt0,5,busy\nt1,5,101\n")
    path = write("inv.yaml", INVENTORY.format(csv="cpu.csv"))
    with pytest.raises(InputError) as caught:
        load([path])
    assert every_csv_prefetched == ["cpu.csv"]
    found = [(p.line, p.column, p.path, p.message) for p in caught.value.problems]
    assert found == [
        (2, 6, "rows[1][2]", "expected a number from 0 to 100 or an empty cell, got 'busy'"),
        (3, 6, "rows[2][2]", "expected a value from 0 to 100 (% of the VM's vCPUs), got 101"),
    ]


def test_a_line_that_only_looks_like_the_csv_name_is_not_trusted(
    write, every_csv_prefetched
) -> None:
    # the line says a.csv, but a later key wins for YAML: b.csv is what counts
    write("a.csv", "timestamp,web01,web02\nt0,1,1\n")
    write("b.csv", "timestamp,web01,web02\nt0,50,50\n")
    text = INVENTORY.format(csv="a.csv").replace("hosts:", "cpu_series: b.csv\nhosts:", 1)
    path = write("inv.yaml", text)
    with pytest.raises(InputError) as caught:  # a key given twice is an error, not a guess
        load([path])
    assert "cpu_series" in str(caught.value.problems[0].path)
    assert every_csv_prefetched == ["a.csv"]


def test_the_prefetch_is_used_only_for_the_file_the_inventory_names(
    write, every_csv_prefetched
) -> None:
    write("a.csv", "timestamp,web01,web02\nt0,1,1\n")
    write("b.csv", "timestamp,web01,web02\nt0,50,50\n")
    # a comment after the name: the line is not taken at its word, the YAML decides
    text = INVENTORY.format(csv="b.csv  # a.csv")
    path = write("inv.yaml", text)
    inv = load([path]).inventory
    assert inv.demand[:, 0].tolist() == [2.0, 1.0]


@pytest.mark.parametrize("blank_line", [False, True])
def test_the_parts_join_into_the_whole_file(
    write, monkeypatch: pytest.MonkeyPatch, blank_line: bool
) -> None:
    monkeypatch.setattr(prefetch, "MIN_BYTES", 0)
    monkeypatch.setattr(prefetch, "PARTS", 3)
    rows = [
        f"2026-11-02T{t // 12:02d}:{t % 12 * 5:02d}:00Z,{t % 97}.5,{(3 * t) % 100}\n"
        for t in range(100)
    ]
    if blank_line:
        rows.insert(40, "\n")
    csv = write("cpu.csv", "timestamp,web01,web02\n" + "".join(rows))
    job = prefetch.Prefetch.start(csv, loader.MAX_CSV_BYTES)
    assert job is not None
    got = job.result()
    if blank_line:  # a part finds fewer rows than lines: this process reads the file instead
        assert got is None
        return
    assert got is not None and got[1] == []
    table, problems = series.read_csv(csv, str(csv), loader.MAX_CSV_BYTES)
    assert table is not None and not problems
    assert np.array_equal(got[0].values, table.values)
    assert got[0].stamps == table.stamps and got[0].columns == table.columns
    assert table.stamps[39:41] == ((41, "2026-11-02T03:15:00Z"), (42, "2026-11-02T03:20:00Z"))


def test_a_blank_line_still_loads_right(write, every_csv_prefetched) -> None:
    rows = "".join(f"t{t},{t},{t}\n" + ("\n" if t == 50 else "") for t in range(100))
    write("cpu.csv", "timestamp,web01,web02\n" + rows)
    inv = load([write("inv.yaml", INVENTORY.format(csv="cpu.csv"))]).inventory
    assert every_csv_prefetched == ["cpu.csv"] and inv.n_samples == 100


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("cpu_series: a.csv\nhosts: []\n", "a.csv"),
        ('version: 1\r\ncpu_series: "b c.csv"\r\nhosts: []\r\n', "b c.csv"),
        ("version: 1\ncpu_series: last.csv", "last.csv"),
        ("version: 1\ncpu_series: x.csv  # a comment: left to the YAML\n", None),
        ("limits:\n  cpu_series: nested.csv\n", None),
        ("version: 1\n", None),
    ],
)
def test_the_line_that_names_the_csv_is_found_without_a_scan_per_line(
    text: str, named: str | None
) -> None:
    assert loader._named_csv(text) == named
