"""Sizing: transforms on known series, replays checked by hand, and calibration on known answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from builders import inventory
from hypothesis import given, settings
from hypothesis import strategies as st

from vmplan import sizing
from vmplan.model import IntArray, Inventory
from vmplan.pack import PackSettings, pack
from vmplan.sizing import Method, Period, SizingError, replay, transforms
from vmplan.sizing.calibrate import calibrate, sample_vms, split

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)
SIX_HOURS = 6 * 3600


def one_vm(series: list[float], interval_s: int = 300, start: datetime | None = None) -> Inventory:
    inv = inventory([(4, 64)], [(1, 1, series, 0)])
    return replace(inv, interval_s=interval_s, start=start)


def test_envelope_is_a_centred_rolling_max() -> None:
    inv = one_vm([0, 0, 50, 0, 0, 10, 0])
    two = transforms.envelope(inv, 2).demand[0]
    assert two.tolist() == [0, 0, 0.5, 0.5, 0, 0.1, 0.1]  # max of x[t-1], x[t]
    three = transforms.envelope(inv, 3).demand[0]
    assert three.tolist() == [0, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1]
    assert transforms.envelope(inv, 1) is inv
    assert transforms.envelope_samples(600, 300) == 2
    assert transforms.envelope_samples(400, 300) == 2  # rounded up
    assert not inv.demand.flags.writeable and not transforms.envelope(inv, 2).demand.flags.writeable


def test_daily_profile_is_the_max_per_time_of_day_over_the_days() -> None:
    # 4 samples a day, two days from midnight: per slot the larger of the two days
    inv = one_vm([10, 20, 30, 40, 40, 30, 20, 10], SIX_HOURS, MONDAY)
    prof = transforms.profile(inv, Period.DAY)
    assert prof.demand[0].tolist() == pytest.approx([0.4, 0.3, 0.3, 0.4])
    assert prof.start == MONDAY and prof.n_samples == 4


def test_profile_aligns_by_time_of_day_and_counts_partial_days() -> None:
    # starts at 12:00: slots 2, 3, 0, 1, 2, 3, 0, 1, 2 (two whole days and a quarter)
    noon = MONDAY.replace(hour=12)
    inv = one_vm([1, 2, 3, 4, 5, 6, 7, 8, 90], SIX_HOURS, noon)
    prof = transforms.profile(inv, Period.DAY)
    assert prof.demand[0].tolist() == pytest.approx([0.07, 0.08, 0.9, 0.06])
    assert prof.start == MONDAY  # midnight before the first sample: sample s is slot s


def test_weekly_profile_slots_start_on_monday() -> None:
    day = 86_400
    wednesday = MONDAY.replace(day=4)
    series = [float(i) for i in range(14)]  # one sample a day, two weeks from a Wednesday
    inv = one_vm(series, day, wednesday)
    prof = transforms.profile(inv, Period.WEEK)
    # Wednesday is slot 2: samples 0..13 fall on slots 2..6, 0..6, 0, 1
    assert prof.demand[0].tolist() == pytest.approx([0.12, 0.13, 0.07, 0.08, 0.09, 0.10, 0.11])
    assert prof.start == MONDAY


def test_profile_needs_two_whole_periods() -> None:
    inv = one_vm([1, 2, 3, 4, 5, 6, 7], SIX_HOURS, MONDAY)
    with pytest.raises(SizingError, match="needs at least two whole days of history"):
        transforms.profile(inv, Period.DAY)
    with pytest.raises(SizingError, match="divides a day evenly"):
        transforms.profile(one_vm([1] * 100, 7 * 60), Period.DAY)


def test_scalar_sizing_is_a_constant_at_the_percentile_or_peak() -> None:
    inv = one_vm([float(i) for i in range(101)])
    assert transforms.scalar(inv, 95.0).demand.tolist() == [[pytest.approx(0.95)]]
    assert transforms.scalar(inv, None).demand.tolist() == [[1.0]]
    assert Method(scalar=95.0).label == "p95" and Method(scalar=100.0).label == "peak"


def test_headroom_lowers_every_cpu_limit_and_keeps_the_demand() -> None:
    inv = inventory([(4, 64), (8, 64)], [(1, 1, [50, 60], 0)], cpu_limit=0.8)
    out = transforms.headroom(inv, 0.05)
    assert [h.cpu_limit for h in out.hosts] == pytest.approx([0.75, 0.75])
    assert out.cpu_cap.tolist() == pytest.approx([3.0, 6.0])
    assert np.array_equal(out.demand, inv.demand)
    label = Method(envelope_s=600, profile=Period.DAY, headroom=0.05).label
    assert label == "daily profile, envelope 10m, +5 points"


def test_replay_counts_what_goes_over_by_hand() -> None:
    # host h0: 4 cores at a 50% limit (2 cores); VMs of 1 and 2 vCPUs on it, one VM on h1
    inv = inventory(
        [(4, 64), (8, 64), (8, 64)],
        [
            (1, 4, [100, 50, 100, 20], 0),  # cores: 1.0 0.5 1.0 0.2
            (2, 4, [50, 100, 170, 90], 0),  # cores: 1.0 2.0 3.4 1.8
            (4, 4, [10, 10, 10, 10], 1),
        ],
        cpu_limit=0.5,
    )
    r = replay(inv, inv.current)
    # h0 combined: 2.0 (at the limit: not over), 2.5, 4.4, 2.0
    h0, h1 = r.hosts
    assert (h0.host, h0.vms, h1.host, h1.vms) == (0, 2, 1, 1)
    assert h0.samples_over_limit == 2 and h0.samples_over_full == 1
    assert h0.time_over_limit == 0.5
    assert h0.worst == pytest.approx(1.1) and h0.worst_sample == 2
    assert h1.samples_over_limit == 0 and h1.worst == pytest.approx(0.05)
    assert r.samples == 4 and r.samples_over_limit == 2 and r.samples_over_full == 1
    assert r.time_over_limit == 2 / 8  # host-samples of the two used hosts; h2 is empty
    assert r.worst == pytest.approx(1.1) and not r.clean
    assert h0.memory == pytest.approx(8 / 64) and not h0.memory_over_limit


def test_replay_counts_memory_over_its_limit() -> None:
    inv = inventory([(8, 4)], [(1, 3, [10], 0), (1, 2, [10], 0)])
    r = replay(inv, inv.current)
    assert r.hosts[0].memory_over_limit and r.hosts_over_memory == 1 and not r.clean


def test_a_plan_replayed_on_its_own_history_has_nothing_over() -> None:
    rng = np.random.default_rng(4)
    vms = [(2, 4, rng.uniform(0, 90, 48).round().tolist(), i % 6) for i in range(18)]
    inv = inventory([(8, 64)] * 6, vms, cpu_limit=0.8)
    result = pack(inv, PackSettings(time_limit=1))
    assert result.plan.feasible
    r = replay(inv, result.plan.target)
    assert r.clean and r.samples_over_limit == 0 and r.worst <= 0.8 + 1e-9
    assert len(r.hosts) == len(set(result.plan.target.tolist())) < 6


def planner(inv: Inventory, share: float) -> IntArray | None:
    result = pack(inv, PackSettings(time_limit=max(share, 0.2)))
    return result.plan.target if result.plan.feasible else None


def three_days(a: list[float], b: list[float], last_b: list[float] | None = None) -> Inventory:
    """Two VMs of 1 vCPU on 1-core hosts at a 100% limit, 4 samples a day for three days."""
    inv = inventory(
        [(1, 64)] * 4,
        [(1, 1, a * 3, 0), (1, 1, b * 2 + (last_b or b), 1)],
    )
    return replace(inv, interval_s=SIX_HOURS, start=MONDAY)


def test_calibration_picks_the_cheapest_candidate_that_meets_the_target() -> None:
    # A peaks at slot 0, B at slots 0 (0.48) and 1 (0.51), every day the same. On one host the
    # daily profile peaks at 0.98: it fits. A 2-sample envelope puts 0.5 + 0.51 on slot 1, P95 and
    # the peak add 0.5 + 0.51 too, and +5 points leaves 0.95 < 0.98: each of them needs 2 hosts.
    inv = three_days([50, 0, 0, 0], [48, 51, 0, 0])
    holdout = split(inv)
    assert holdout is not None and holdout.what == "the last day"
    assert (holdout.train.n_samples, holdout.held_out.n_samples) == (8, 4)
    result = calibrate(inv, planner, 0.0001)
    hosts = {c.method.label: c.hosts for c in result.candidates}
    assert hosts == {
        "envelope 12h": 2,
        "envelope 12h, +5 points": 2,
        "daily profile": 1,
        "daily profile, +5 points": 2,
        "p95": 2,
        "peak": 2,
    }
    assert result.method == Method(profile=Period.DAY)
    assert result.chosen is not None and result.chosen.replay is not None
    assert result.chosen.replay.clean and result.chosen.replay.worst == pytest.approx(0.98)


def test_calibration_rejects_a_candidate_that_fails_on_the_held_out_day() -> None:
    # on the held-out day B peaks at slot 0 with 0.6: A + B = 1.1 on one host, over 100%
    inv = three_days([50, 0, 0, 0], [48, 51, 0, 0], last_b=[60, 51, 0, 0])
    result = calibrate(inv, planner, 0.0001)
    profile = next(c for c in result.candidates if c.method == Method(profile=Period.DAY))
    assert profile.hosts == 1 and profile.replay is not None
    assert profile.replay.samples_over_full == 1 and not profile.meets(0.5)
    assert result.chosen is not None and result.chosen.hosts == 2
    assert result.chosen.replay is not None and result.chosen.replay.clean


def test_too_short_a_history_gets_the_default_envelope_and_says_so() -> None:
    inv = one_vm([10, 20, 30])
    result = calibrate(inv, planner, 0.0001)
    assert result.method == Method(envelope_s=600) and result.candidates == ()
    assert "the history is too short to hold a part out" in result.notes[0]
    sized = sizing.apply(inv, sizing.Spec(), planner)
    assert sizing.summary(sized) == (
        "sized on envelope 10m; no held-out replay: the history is too short to hold a part out "
        "for calibration (3 samples, fewer than 8), so the default envelope 10m"
    )


def test_without_whole_days_the_last_quarter_is_held_out() -> None:
    holdout = split(one_vm([float(i) for i in range(20)]))
    assert holdout is not None and holdout.what == "the last quarter"
    assert (holdout.train.n_samples, holdout.held_out.n_samples) == (15, 5)
    assert holdout.held_out.demand[0, 0] == pytest.approx(0.15)


def test_apply_with_risk_none_plans_on_the_history_as_given() -> None:
    inv = one_vm([10, 20, 30])
    sized = sizing.apply(inv, sizing.Spec(None, None), planner)
    assert sized.inventory is inv and sized.holdout is None and not sized.calibrated
    assert sizing.summary(sized) == "planned on the history as given"


def test_an_explicit_method_reports_its_held_out_replay() -> None:
    inv = three_days([50, 0, 0, 0], [48, 51, 0, 0])
    sized = sizing.apply(inv, sizing.Spec(Method(profile=Period.DAY), None), planner)
    assert sized.inventory.n_samples == 4 and sized.holdout is not None
    doc = sizing.as_json(sized, inv, np.zeros(2, dtype=np.int64))
    assert doc["sizing"]["method"] == "daily profile"
    assert doc["sizing"]["holdout"]["samples"] == 4
    assert doc["sizing"]["history"]["worst"] == pytest.approx(0.98)
    assert sizing.summary(sized).startswith("sized on daily profile; held-out replay: 0.000%")


def test_large_fleets_are_calibrated_on_a_seeded_sample_with_their_rules_cut_down() -> None:
    vms = [(1, 1, [10.0, 20.0], i % 3) for i in range(12)]
    rules = [("anti-affinity", [0, 1, 2, 3], []), ("affinity", [4, 5], []), ("pin", [6], [0])]
    inv = inventory([(8, 64)] * 3, vms, rules)
    sample = sample_vms(inv, 6)
    assert len(sample.vms) == 6
    assert [v.name for v in sample.vms] == [v.name for v in sample_vms(inv, 6).vms]  # seeded
    names = {v.name for v in sample.vms}
    for rule in sample.rules:
        assert set(rule.vms) <= names and rule.vms
    kept = {r.name: r.vms for r in sample.rules}
    original = {r.name: r.vms for r in inv.rules}
    for name, members in original.items():
        inside = tuple(n for n in members if n in names)
        least = 1 if name == "r2" else 2
        assert kept.get(name) == (inside if len(inside) >= least else None)
    rows = [inv.vm_index[v.name] for v in sample.vms]
    assert np.array_equal(sample.demand, inv.demand[rows])
    assert sample_vms(inv, 12) is inv


@settings(max_examples=40)
@given(
    series=st.lists(st.integers(0, 100), min_size=8, max_size=40),
    window=st.integers(1, 5),
    offset=st.integers(0, 3),
)
def test_sized_series_never_fall_below_the_history(
    series: list[int], window: int, offset: int
) -> None:
    """Every sample lies under its envelope and under its slot of the profile (4 slots a day)."""
    start = MONDAY.replace(hour=6 * offset)
    inv = one_vm([float(x) for x in series], SIX_HOURS, start)
    x = inv.demand[0]
    assert (transforms.envelope(inv, window).demand[0] >= x).all()
    prof = transforms.profile(inv, Period.DAY).demand[0]
    slots = (offset + np.arange(x.size)) % 4
    assert (prof[slots] >= x).all()
    assert all(prof[s] == x[slots == s].max() for s in range(4))  # and is the max, no more
