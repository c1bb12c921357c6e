"""The import core on its own: the grid, units, counters, the JSON reader, the writer."""

from __future__ import annotations

import io
import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmplan.importers import assemble, cpuunits, emit, grid, prometheus, promjson, timespec
from vmplan.importers.model import (
    Collected,
    CpuUnit,
    Fleet,
    HostRecord,
    RawSeries,
    VmRecord,
    Window,
)
from vmplan.inventory import load
from vmplan.problems import InputError

T0 = 1_795_132_800  # 2026-11-20T00:00:00Z


def test_downsampling_keeps_the_maximum_and_leaves_gaps_empty() -> None:
    g = grid.aligned(T0, T0 + 3 * 300, 300)
    assert (g.start_s, g.n) == (T0, 4)
    times = np.array([T0, T0 + 60, T0 + 120, T0 + 600, T0 + 9000], dtype=float)
    values = np.array([10, 70, 20, 5, 99], dtype=float)
    row, outside = grid.resample_max(times, values, g)
    assert row[0] == 70  # 00:00, 00:01 and 00:02 all belong to 00:00: their maximum
    assert np.isnan(row[1]) and row[2] == 5 and np.isnan(row[3])
    assert outside == 1


def test_a_sample_belongs_to_the_nearest_grid_time() -> None:
    g = grid.Grid(T0, 300, 3)
    k = grid.bins(np.array([T0 - 149, T0 + 149, T0 + 151, T0 + 449, T0 + 751], dtype=float), g)
    assert k.tolist() == [0, 0, 1, 1, -1]


def test_a_counter_is_rated_and_its_reset_counts_from_zero() -> None:
    times = np.array([0, 300, 600, 900, 1200], dtype=float) + T0
    counter = np.array([1000, 1300, 1600, 150, 450], dtype=float)  # reset before the 4th
    t, cores, later, resets = cpuunits.counter_rate(times, counter)
    assert t.tolist() == (times[1:]).tolist()
    assert cores.tolist() == [1.0, 1.0, 0.5, 1.0]
    assert later.tolist() == [1, 2, 3, 4]
    assert resets == 1


@pytest.mark.parametrize(
    ("unit", "value", "expected"),
    [
        (CpuUnit.PERCENT, 40.0, 40.0),
        (CpuUnit.FRACTION, 0.4, 40.0),
        (CpuUnit.CORES, 1.6, 40.0),
    ],
)
def test_every_unit_becomes_percent_of_the_vcpus(
    unit: CpuUnit, value: float, expected: float
) -> None:
    assert cpuunits.to_percent(np.array([value]), unit, 4)[0] == pytest.approx(expected)


def test_values_are_rounded_up_to_a_tenth_and_missing_stays_empty() -> None:
    codes = emit.tenths(np.array([[12.31, 12.3, 0.0, np.nan, 100.0]]))
    assert [emit._TENTHS[c] for c in codes[0]] == ["12.4", "12.3", "0", "", "100"]


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (16 << 30, "16GiB"),
        (1536 << 20, "1536MiB"),
        (10**9, "1GB"),
        (1000, "1KB"),
        (1500, "1.46484375KiB"),
    ],
)
def test_sizes_are_written_exactly(n: int, text: str) -> None:
    assert emit.size(n) == text


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("web01", "web01"),
        ("true", '"true"'),
        ("101", '"101"'),
        ("a b", '"a b"'),
        ("x\x07", '"x\\u0007"'),
    ],
)
def test_names_are_quoted_when_yaml_would_misread_them(name: str, text: str) -> None:
    assert emit.scalar(name) == text


def _fleet(names: list[str]) -> Fleet:
    matrix = np.array([[10.0, np.nan, 30.0]] * len(names))
    return Fleet(
        "test",
        (HostRecord("h1", 8, 16 << 30),),
        tuple(VmRecord(n, "h1", 2, 1 << 30) for n in names),
        datetime.fromtimestamp(T0, UTC),
        300,
        matrix,
    )


def test_a_name_a_csv_header_cannot_hold_keeps_its_series_inline(tmp_path: Path) -> None:
    fleet = _fleet(["a,b", "plain", 'say "hi"', " padded"])
    (tmp_path / "f.cpu.csv").write_text(emit.series_csv(fleet), encoding="utf-8")
    (tmp_path / "f.yaml").write_text(
        emit.inventory_yaml(fleet, "f.cpu.csv", "test"), encoding="utf-8"
    )
    assert (tmp_path / "f.cpu.csv").read_text(encoding="utf-8").splitlines()[0] == "timestamp,plain"
    loaded = load([tmp_path / "f.yaml"])
    names = [v.name for v in loaded.inventory.vms]
    assert "a,b" in names and 'say "hi"' in names and "plain" in names
    # the gap is filled by the loader with each VM's peak (30% of 2 vCPUs), inline or from the CSV
    assert loaded.inventory.demand.tolist() == [[0.2, 0.6, 0.6]] * 4


def _series_doc(
    series: list[tuple[dict[str, str], list[tuple[float, float]]]],
) -> dict[str, object]:
    result = [
        {"metric": labels, "values": [[t, repr(v)] for t, v in points]} for labels, points in series
    ]
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


labels_st = st.dictionaries(
    st.sampled_from(["domain", "instance", "job"]), st.text(min_size=0, max_size=8), max_size=3
)
points_st = st.lists(
    st.tuples(
        st.integers(1_700_000_000, 1_800_000_000).map(float),
        st.floats(-1e12, 1e12, allow_nan=False),
    ),
    max_size=6,
)


@settings(max_examples=80)
@given(
    st.lists(st.tuples(labels_st, points_st), max_size=4),
    st.sampled_from([None, 1]),
    st.sampled_from([1, 7, 64, 1 << 23]),
)
def test_the_fast_json_reader_agrees_with_json_loads(
    series: list[tuple[dict[str, str], list[tuple[float, float]]]], indent: int | None, chunk: int
) -> None:
    data = json.dumps(_series_doc(series), indent=indent).encode()
    got = promjson.parse_file(io.BytesIO(data), "x.json", chunk=chunk)  # chunks cut anywhere
    assert len(got) == len(series)
    for m, (labels, points) in zip(got, series, strict=True):
        assert m.labels == labels
        assert m.times_s.tolist() == [t for t, _v in points]
        assert m.values.tolist() == [v for _t, v in points]


def test_the_reader_takes_other_key_orders_and_nan() -> None:
    doc = {
        "data": {
            "result": [{"values": [[1, "NaN"], [2, "+Inf"]], "metric": {"a": "{}"}}],
            "resultType": "matrix",
        },
        "status": "success",
    }
    (m,) = promjson.parse(json.dumps(doc).encode(), "x.json")
    assert m.labels == {"a": "{}"}
    assert np.isnan(m.values[0]) and np.isinf(m.values[1])
    assert promjson._fast(io.BytesIO(json.dumps(doc).encode()), False, 1 << 20) is None  # slow path


def test_a_failed_query_response_says_why() -> None:
    data = b'{"status":"error","errorType":"bad_data","error":"parse error"}'
    with pytest.raises(InputError) as info:
        promjson.parse(data, "cpu.json")
    assert str(info.value) == "cpu.json: error: the query failed: bad_data parse error"


def test_chunks_cover_the_range_once_under_the_server_limit() -> None:
    parts = prometheus.chunks(0, 25_000 * 60, 60)
    assert parts[0][0] == 0 and parts[-1][1] == 25_000 * 60
    for (_a, b), (c, _d) in itertools.pairwise(parts):
        assert c == b + 60
    assert all((b - a) // 60 + 1 <= prometheus.MAX_POINTS for a, b in parts)
    assert prometheus.query_step(3600) == 300 and prometheus.query_step(60) == 60


@pytest.mark.parametrize(
    ("label", "host"),
    [
        ("kvm01:9100", "kvm01"),
        ("kvm01", "kvm01"),
        ("[fe80::1]:9100", "fe80::1"),
        ("10.0.0.5:9177", "10.0.0.5"),
    ],
)
def test_the_port_is_removed_from_a_host_label(label: str, host: str) -> None:
    assert prometheus.host_name(label) == host


def test_relative_and_absolute_times() -> None:
    now = float(T0)
    assert timespec.parse_time("-7d", now) == now - 7 * 86400
    assert timespec.parse_time("now-12h", now) == now - 12 * 3600
    assert timespec.parse_time("2026-11-20T00:00:00", now) == T0
    assert timespec.parse_time("2026-11-20T01:00:00+01:00", now) == T0
    with pytest.raises(ValueError, match="relative time like -7d, got 'last week'"):
        timespec.parse_time("last week", now)


def _answer(kind: str, *series: tuple[dict[str, str], float, float]) -> prometheus.Answer:
    return prometheus.Answer(
        kind,
        f"{kind}.json",
        tuple(promjson.Matrix(labels, np.array([t]), np.array([v])) for labels, t, v in series),
    )


def test_one_vm_name_on_two_hosts_at_once_is_refused() -> None:
    answers = [
        _answer("cpu"),
        _answer(
            "vcpus",
            ({"domain": "web", "instance": "a:1"}, T0, 2),
            ({"domain": "web", "instance": "b:1"}, T0, 2),
        ),
        _answer("memory", ({"domain": "web", "instance": "a:1"}, T0, 1 << 30)),
        _answer("host-cores", ({"instance": "a:9"}, T0, 8), ({"instance": "b:9"}, T0, 8)),
        _answer(
            "host-memory", ({"instance": "a:9"}, T0, 1 << 34), ({"instance": "b:9"}, T0, 1 << 34)
        ),
    ]
    with pytest.raises(InputError) as info:
        prometheus.collect(answers, prometheus.Settings(), "test")
    assert [str(p) for p in info.value.problems] == [
        'vcpus.json: error: {domain="web", instance="b:1"}: VM \'web\' runs on a:1 and b:1 at the '
        "same time: two VMs share the name; choose a --vm-label that tells them apart (it is "
        "'domain')"
    ]


def test_a_migrated_vm_is_on_its_last_host() -> None:
    answers = [
        _answer("cpu"),
        _answer(
            "vcpus",
            ({"domain": "web", "instance": "a:1"}, T0, 2),
            ({"domain": "web", "instance": "b:1"}, T0 + 60, 2),
        ),
        _answer("memory", ({"domain": "web", "instance": "a:1"}, T0, 1 << 30)),
        _answer("host-cores", ({"instance": "a:9"}, T0, 8), ({"instance": "b:9"}, T0, 8)),
        _answer(
            "host-memory", ({"instance": "a:9"}, T0, 1 << 34), ({"instance": "b:9"}, T0, 1 << 34)
        ),
    ]
    got = prometheus.collect(answers, prometheus.Settings(), "test")
    assert got.vms == (VmRecord("web", "b", 2, 1 << 30),)


def test_slight_overshoot_is_clipped_with_a_warning_and_more_is_an_error() -> None:
    def collected(value: float) -> Collected:
        s = RawSeries(
            "v",
            np.array([T0, T0 + 300.0]),
            np.array([50.0, value]),
            CpuUnit.PERCENT,
            "s.csv",
            np.array([2, 3]),
        )
        return Collected(
            "s.csv", (HostRecord("h", 4, 1 << 30),), (VmRecord("v", "h", 2, 1 << 20),), (s,)
        )

    fleet = assemble.build(collected(104.0), Window(300))
    assert fleet.cpu_percent.tolist() == [[50.0, 100.0]]
    assert [str(w) for w in fleet.warnings] == [
        "s.csv: warning: v: 1 sample(s) a little above 100% of the VM's vCPUs lowered to 100%"
    ]
    with pytest.raises(InputError) as info:
        assemble.build(collected(-3.0), Window(300))
    assert str(info.value) == "s.csv:3:1: error: v: expected CPU use of 0 or more, got -3"


def test_the_fast_path_reads_a_real_response_in_small_chunks() -> None:
    path = Path(__file__).resolve().parent / "data" / "import" / "prometheus" / "cpu.json"
    with path.open("rb") as f:
        fast = promjson._fast(f, False, 4096)  # far smaller than one series
    assert fast is not None and len(fast) == 4
    with path.open("rb") as f:
        assert [m.labels for m in fast] == [m.labels for m in promjson._slow(f.read(), "x")]
