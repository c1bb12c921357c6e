"""Common mistakes in series are caught with advice, each message pinned exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from vmplan.inventory import load
from vmplan.problems import InputError

HEAD = "version: 1\nhosts: [{name: esx01, cpus: 32, memory: 512GiB}]\n"
CSV_HEAD = "version: 1\ncpu_series: cpu.csv\nhosts: [{name: esx01, cpus: 32, memory: 512GiB}]\n"
TWO_VMS = (
    "vms:\n"
    "  - {name: web01, host: esx01, vcpus: 4, memory: 16GiB}\n"
    "  - {name: web02, host: esx01, vcpus: 4, memory: 16GiB}\n"
)


def problems(path: Path) -> list[tuple[int, int, str, str]]:
    with pytest.raises(InputError) as info:
        load([path])
    return [(p.line, p.column, p.path, p.message) for p in info.value.problems]


def inline(tmp_path: Path, cpu: str) -> Path:
    path = tmp_path / "inv.yaml"
    path.write_text(
        HEAD + f"vms: [{{name: web01, host: esx01, vcpus: 4, memory: 1GiB, cpu: {cpu}}}]\n"
    )
    return path


@pytest.mark.parametrize(
    ("cpu", "column", "index", "message"),
    [
        (
            '"10,20,30"',
            64,
            0,
            "expected a number from 0 to 100, got '10,20,30'; separate samples with spaces, not "
            "commas",
        ),
        (
            '"10 - 30"',
            67,
            1,
            "expected a number from 0 to 100, got '-'; use null for a missing sample",
        ),
        (
            '"10 NaN 30"',
            67,
            1,
            "expected a number from 0 to 100 (% of the VM's vCPUs), got NaN; use null for a "
            "missing sample",
        ),
        (
            "[10, NaN]",
            68,
            1,
            "expected a number from 0 to 100, got 'NaN'; use null for a missing sample",
        ),
        (
            '"10 12% 30"',
            67,
            1,
            "expected a number from 0 to 100, got '12%'; write the number without '%'",
        ),
    ],
    ids=["commas", "dash", "NaN string", "NaN list", "percent sign"],
)
def test_inline_series_mistakes_get_a_hint(
    tmp_path: Path, cpu: str, column: int, index: int, message: str
) -> None:
    assert problems(inline(tmp_path, cpu)) == [(3, column, f"vms[0].cpu[{index}]", message)]


def test_a_mistake_repeated_in_many_cells_is_reported_once_with_a_count(tmp_path: Path) -> None:
    rows = "".join(f"{t},12%,{t}%\n" for t in range(3))
    (tmp_path / "cpu.csv").write_text("timestamp,web01,web02\n" + rows + "3,-,5\n")
    path = tmp_path / "inv.yaml"
    path.write_text(CSV_HEAD + TWO_VMS)
    csv = str(tmp_path / "cpu.csv")
    with pytest.raises(InputError) as info:
        load([path])
    assert [(p.file, p.line, p.column, p.path, p.message) for p in info.value.problems] == [
        (
            csv,
            2,
            3,
            "rows[1][1]",
            "expected a number from 0 to 100 or an empty cell, got '12%'; write the number "
            "without '%' (and 5 more cells like it)",
        ),
        (
            csv,
            5,
            3,
            "rows[4][1]",
            "expected a number from 0 to 100 or an empty cell, got '-'; leave the cell empty for "
            "a missing sample",
        ),
    ]


def test_quoted_header_and_cells_are_read(tmp_path: Path) -> None:
    (tmp_path / "cpu.csv").write_text(
        '"timestamp","web01","web02"\r\n"2026-11-02T00:00:00Z","10","20.5"\r\n"2026-11-02T00:05:00Z",30,""\r\n'
    )
    path = tmp_path / "inv.yaml"
    path.write_text(CSV_HEAD + TWO_VMS)
    inv = load([path]).inventory
    assert inv.demand.ravel().tolist() == pytest.approx([0.4, 1.2, 0.82, 0.82])


def test_a_quoted_header_name_may_hold_a_comma_or_a_quote(tmp_path: Path) -> None:
    (tmp_path / "cpu.csv").write_text(
        'timestamp,"web,01","o""brien"\n2026-11-02T00:00:00Z,10,20\n2026-11-02T00:05:00Z,30,40\n'
    )
    path = tmp_path / "inv.yaml"
    path.write_text(
        CSV_HEAD
        + "vms:\n"
        + '  - {name: "web,01", host: esx01, vcpus: 4, memory: 16GiB}\n'
        + '  - {name: o"brien, host: esx01, vcpus: 4, memory: 16GiB}\n'
    )
    inv = load([path]).inventory
    assert [v.name for v in inv.vms] == ["web,01", 'o"brien']
    assert inv.demand.ravel().tolist() == pytest.approx([0.4, 1.2, 0.8, 1.6])


def test_unused_csv_columns_are_warned(tmp_path: Path) -> None:
    (tmp_path / "cpu.csv").write_text("timestamp,web01,web02,web03,db01\n0,1,2,3,4\n")
    path = tmp_path / "inv.yaml"
    path.write_text(CSV_HEAD + TWO_VMS)
    warnings = load([path]).warnings
    assert [(w.file, w.line, w.column, w.path, w.message) for w in warnings] == [
        (
            str(tmp_path / "cpu.csv"),
            1,
            23,
            "columns[3]",
            "2 column(s) match no VM without an inline 'cpu' and are not used: 'web03', 'db01'",
        )
    ]


def test_fractions_of_1_are_warned(tmp_path: Path) -> None:
    path = inline(tmp_path, "[0.1, 0.25, 0.9]")
    warnings = load([path]).warnings
    assert [(w.line, w.column, w.path, w.message) for w in warnings] == [
        (
            3,
            63,
            "vms[0].cpu",
            "every sample of every series is at most 1: values look like fractions of 1; vmplan "
            "expects percent (35 for 35%)",
        )
    ]


def test_percent_values_and_an_idle_fleet_are_not_fractions(tmp_path: Path) -> None:
    assert load([inline(tmp_path, "[0.1, 2]")]).warnings == ()
    assert load([inline(tmp_path, "[0, 0]")]).warnings == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\nhosts:\n  - name: esx01\n    cpus: 32\n   memory: 1GiB\n",
            (
                5,
                4,
                "invalid YAML: did not find expected '-' indicator (while parsing a block "
                "collection at line 3, column 3); check the indentation: line 5 starts in column "
                "4, line 4 in column 5 (the keys of one mapping, and the items of one list, line "
                "up)",
            ),
        ),
        (
            "version: 1\nlimits:\n   cpu: 80%\n  memory: 90%\nhosts: []\n",
            (
                4,
                3,
                "invalid YAML: did not find expected key (while parsing a block mapping at line 1, "
                "column 1); check the indentation: line 4 starts in column 3, line 3 in column 4 "
                "(the keys of one mapping, and the items of one list, line up)",
            ),
        ),
    ],
    ids=["3 under 4", "2 under 3"],
)
def test_a_misaligned_line_gets_an_indentation_hint(
    tmp_path: Path, text: str, expected: tuple[int, int, str]
) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(text)
    assert [p[:2] + p[3:] for p in problems(path)] == [expected]


TIMED = (
    "version: 1\ninterval: 5m\nstart: 2026-11-02T00:00:00Z\ncpu_series: cpu.csv\n"
    "hosts: [{name: esx01, cpus: 32, memory: 512GiB}]\n"
    "vms: [{name: web01, host: esx01, vcpus: 4, memory: 16GiB}]\n"
)
EPOCH = 1793577600  # 2026-11-02T00:00:00Z


def timed(tmp_path: Path, *stamps: str) -> Path:
    (tmp_path / "cpu.csv").write_text(
        "timestamp,web01\n" + "".join(f"{s},{10 + k}\n" for k, s in enumerate(stamps))
    )
    path = tmp_path / "inv.yaml"
    path.write_text(TIMED)
    return path


def test_epoch_seconds_are_times(tmp_path: Path) -> None:
    path = timed(tmp_path, str(EPOCH), str(EPOCH + 300), f"{EPOCH + 600}.0")
    assert load([path]).inventory.n_samples == 3
    late = timed(tmp_path, str(EPOCH), str(EPOCH + 600))
    assert [p[2:] for p in problems(late)] == [
        (
            "rows[2][0]",
            f"{EPOCH + 600} comes 10m after the sample before it, not the interval of 5m; leave a "
            "row of empty cells for a missing sample",
        )
    ]


def test_unreadable_times_are_refused(tmp_path: Path) -> None:
    path = timed(tmp_path, "11/02/2026 00:00", "11/02/2026 00:10")
    assert problems(path) == [
        (
            2,
            1,
            "rows[1][0]",
            "expected a time in ISO 8601 (like 2026-11-02T00:05:00Z) or epoch seconds, got "
            "'11/02/2026 00:00'",
        )
    ]
    mixed = timed(tmp_path, "2026-11-02T00:00:00Z", "02.11.2026 00:05")
    assert [p[:3] for p in problems(mixed)] == [(3, 1, "rows[2][0]")]
