"""evacuate: every plan re-verified independently, designed cases with known answers, reasons of
infeasible evacuations, and hypothesis against brute force on small clusters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from vmplan.checks import evacuable as evacuable_check
from vmplan.engine.verify import verify_placement, verify_plan
from vmplan.evacuate import EvacuateSettings, evacuable, evacuate, quietest, summarize
from vmplan.inventory import load
from vmplan.model import VM, Host, Inventory, Plan, Rule, RuleKind, host_loads, host_memory_use
from vmplan.problems import Position

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
GIB = 2**30
HERE = Position("test.yaml", 1, 1)
FAST = EvacuateSettings(time_limit=10.0)

HostSpec = tuple[str, float, float]  # name, cores, memory GiB
VmSpec = tuple[str, str, int, float, Sequence[float]]  # name, host, vcpus, memory GiB, cores


def inventory(
    hosts: Sequence[HostSpec],
    vms: Sequence[VmSpec],
    rules: Sequence[tuple[RuleKind, Sequence[str], Sequence[str], str]] = (),
    cpu_limit: float = 1.0,
    memory_limit: float = 1.0,
    maintenance: Sequence[str] = (),
    start: datetime | None = None,
    interval_s: int = 300,
) -> Inventory:
    """An inventory from plain tuples; VM series are given in cores."""
    hs = tuple(
        Host(n, c, round(m * GIB), cpu_limit, memory_limit, n in maintenance, Position("t", k + 1))
        for k, (n, c, m) in enumerate(hosts)
    )
    vs = tuple(
        VM(n, h, c, round(m * GIB), Position("t", 100 + k)) for k, (n, h, c, m, _) in enumerate(vms)
    )
    demand = np.array([list(s) for *_, s in vms], dtype=np.float64).reshape(len(vms), -1)
    demand.flags.writeable = False
    rs = tuple(Rule(kind, tuple(v), tuple(h), name, HERE) for kind, v, h, name in rules)
    return Inventory(hs, vs, rs, demand, interval_s, start)


def plan_of(inv: Inventory, *hosts: str, settings: EvacuateSettings = FAST) -> Plan:
    return evacuate(inv, [inv.host_index[h] for h in hosts], settings)


def assert_valid(inv: Inventory, plan: Plan, parallel: int = 4) -> None:
    """The independent checker, plus what an evacuation promises on top of it."""
    assert plan.feasible, [(inv.vms[u.vm].name, u.reasons) for u in plan.unplaced]
    assert verify_plan(inv, plan, parallel) == []
    for h in plan.evacuated:
        assert not (plan.target == h).any(), f"{inv.hosts[h].name} not empty"
    closed = set(plan.evacuated) | set(np.flatnonzero(inv.maintenance).tolist())
    assert all(m.target not in closed for m in plan.moves)


def moved(inv: Inventory, plan: Plan) -> dict[str, str]:
    return {
        inv.vms[v].name: inv.hosts[int(plan.target[v])].name
        for v in np.flatnonzero(plan.target != plan.before)
    }


# --- the sample cluster ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> Inventory:
    return load([SAMPLES / "inventory.yaml"]).inventory


def test_every_sample_host_evacuates_moving_only_its_vms(sample: Inventory) -> None:
    for h, host in enumerate(sample.hosts):
        plan = evacuate(sample, [h], FAST)
        assert_valid(sample, plan)
        on_host = {sample.vms[v].name for v in np.flatnonzero(sample.current == h)}
        assert set(moved(sample, plan)) == on_host, host.name  # no room-making needed here
        assert all(str(m.reason) == f"evacuate {host.name}" for m in plan.moves)
        assert plan.optimal


def test_same_input_same_plan(sample: Inventory) -> None:
    a, b = plan_of(sample, "esx03"), plan_of(sample, "esx03")
    assert a.moves == b.moves
    assert np.array_equal(a.target, b.target)


def test_headroom_spreads_over_the_idlest_destinations(sample: Inventory) -> None:
    """The busiest destination ends lower than piling everything on the fullest host would."""
    plan = plan_of(sample, "esx07")
    s = summarize(sample, plan)
    assert s.busiest is not None and s.busiest_share < 0.5
    assert len(s.destinations) >= 2


def test_pinned_vm_goes_to_its_other_host_and_the_affinity_pair_stays_together(
    sample: Inventory,
) -> None:
    plan = plan_of(sample, "esx03")  # lic01 is pinned to esx03, esx04
    assert moved(sample, plan)["lic01"] == "esx04"
    plan = plan_of(sample, "esx01")  # web01 and cache01 are an affinity pair on esx01
    to = moved(sample, plan)
    assert to["web01"] == to["cache01"]


def test_pin_to_named_hosts_only_is_explained(sample: Inventory) -> None:
    plan = plan_of(sample, "esx03", "esx04")
    assert not plan.feasible
    assert [sample.vms[u.vm].name for u in plan.unplaced] == ["lic01"]
    assert plan.unplaced[0].reasons == (
        "may only run on esx03, esx04 (pin rule licence), which are being evacuated",
        "evacuate esx03, esx04 one at a time",
    )
    assert np.array_equal(plan.target, plan.before) and plan.moves == ()


# --- designed cases -------------------------------------------------------------------------

FLAT = [0.1, 0.1]  # a VM whose CPU never matters


def test_several_hosts_maintenance_receives_nothing_and_its_vms_may_stay() -> None:
    inv = inventory(
        [("a", 8, 64), ("b", 8, 64), ("m", 8, 64), ("c", 8, 64), ("d", 8, 64)],
        [
            ("a1", "a", 2, 8, FLAT),
            ("a2", "a", 2, 8, FLAT),
            ("b1", "b", 2, 8, FLAT),
            ("m1", "m", 2, 8, FLAT),
            ("c1", "c", 2, 8, FLAT),
        ],
        maintenance=["m"],
    )
    plan = plan_of(inv, "a", "b")
    assert_valid(inv, plan)
    assert set(moved(inv, plan)) == {"a1", "a2", "b1"}
    assert set(moved(inv, plan).values()) <= {"c", "d"}
    assert plan.target[inv.vm_index["m1"]] == inv.host_index["m"]


def test_a_vm_parked_in_maintenance_against_its_pin_is_moved_too() -> None:
    inv = inventory(
        [("a", 8, 64), ("m", 8, 64), ("c", 8, 64)],
        [("x", "a", 1, 4, FLAT), ("p", "m", 1, 4, FLAT), ("q", "m", 1, 4, FLAT)],
        rules=[(RuleKind.PIN, ["p"], ["c"], "licence")],
        maintenance=["m"],
    )
    plan = plan_of(inv, "a")
    assert_valid(inv, plan)
    assert moved(inv, plan) == {"x": "c", "p": "c"}  # q may stay in maintenance
    assert {inv.vms[m.vm].name: str(m.reason) for m in plan.moves}["p"] == "may not run on m"


def test_a_split_affinity_group_ends_whole_where_most_of_it_already_is() -> None:
    inv = inventory(
        [("a", 8, 64), ("b", 8, 64), ("c", 8, 64)],
        [
            ("app", "a", 1, 4, FLAT),
            ("db", "b", 1, 4, FLAT),
            ("cache", "b", 1, 4, FLAT),
            ("other", "c", 1, 4, FLAT),
        ],
        rules=[(RuleKind.AFFINITY, ["app", "db", "cache"], [], "stack")],
    )
    plan = plan_of(inv, "a")
    assert_valid(inv, plan)
    assert moved(inv, plan) == {"app": "b"}
    assert str(plan.moves[0].reason) == "evacuate a"


def test_room_is_made_by_moving_one_vm_and_says_where() -> None:
    """``e1`` (12 GiB) fits only on ``b``, once ``b1`` (10 GiB) steps over to ``c`` (11 GiB)."""
    inv = inventory(
        [("e", 8, 16), ("b", 8, 16), ("c", 8, 11)],
        [
            ("e1", "e", 2, 12, FLAT),
            ("b1", "b", 2, 10, FLAT),
            ("c1", "c", 2, 1, FLAT),
        ],
    )
    plan = plan_of(inv, "e")
    assert_valid(inv, plan)
    assert moved(inv, plan) == {"e1": "b", "b1": "c"}
    reasons = {inv.vms[m.vm].name: str(m.reason) for m in plan.moves}
    assert reasons == {"e1": "evacuate e", "b1": "make room on b"}
    assert summarize(inv, plan).other_moves == 1
    assert [inv.vms[m.vm].name for m in sorted(plan.moves, key=lambda m: m.wave)] == ["b1", "e1"]


def test_swap_needs_a_temporary_stop() -> None:
    """Evacuating ``e`` forces ``a`` (on A) and ``b`` (on B) to trade places, and both hosts are
    too full to hold the two at once: one of them waits on ``s``'s host, which has room only
    until ``e3`` arrives there.

    Memory (GiB, limit 100%): A, B, S 100 each. a 60 on A, b 60 on B, s 30 on S; on e: e1 5
    (pinned to A, anti-affine with a), e2 5 (pinned to B, anti-affine with b), e3 50 (pinned to
    S, anti-affine with s). s is pinned to S or A and anti-affine with a. The only target:
    A = b, e1, s (95); B = a, e2 (65); S = e3 (50).
    """
    inv = inventory(
        [("A", 16, 100), ("B", 16, 100), ("S", 16, 100), ("e", 16, 100)],
        [
            ("a", "A", 1, 60, FLAT),
            ("b", "B", 1, 60, FLAT),
            ("s", "S", 1, 30, FLAT),
            ("e1", "e", 1, 5, FLAT),
            ("e2", "e", 1, 5, FLAT),
            ("e3", "e", 1, 50, FLAT),
        ],
        rules=[
            (RuleKind.PIN, ["e1"], ["A", "e"], "e1-on-A"),
            (RuleKind.PIN, ["e2"], ["B", "e"], "e2-on-B"),
            (RuleKind.PIN, ["e3"], ["S", "e"], "e3-on-S"),
            (RuleKind.PIN, ["s"], ["S", "A"], "s-on-S-or-A"),
            (RuleKind.ANTI_AFFINITY, ["e1", "a"], [], "e1-a"),
            (RuleKind.ANTI_AFFINITY, ["e2", "b"], [], "e2-b"),
            (RuleKind.ANTI_AFFINITY, ["e3", "s"], [], "e3-s"),
            (RuleKind.ANTI_AFFINITY, ["s", "a"], [], "s-a"),
        ],
    )
    assert verify_placement(inv, inv.current) == []
    plan = plan_of(inv, "e")
    assert_valid(inv, plan)
    assert moved(inv, plan) == {"a": "B", "b": "A", "s": "A", "e1": "A", "e2": "B", "e3": "S"}
    temporary = [m for m in plan.moves if m.temporary]
    assert len(temporary) == 1
    assert len(plan.moves) == 7
    assert summarize(inv, plan).temporary == 1


# --- infeasible: exact reasons --------------------------------------------------------------


def test_cpu_shortfall_names_cores_time_and_a_verified_limit() -> None:
    inv = inventory(
        [("a", 4, 64), ("b", 4, 64)],
        [("x", "a", 4, 8, [1, 1, 2, 1]), ("y", "b", 4, 8, [1, 1, 2, 1])],
        cpu_limit=0.8,
        start=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
    )
    plan = plan_of(inv, "a")
    assert not plan.feasible
    assert [(inv.vms[u.vm].name, u.reasons) for u in plan.unplaced] == [
        (
            "x",
            (
                "no host has room; closest is b: CPU short by 0.8 cores at 09:10 "
                "(over the 80% limit during 09:10-09:15)",
                "would fit with 0.8 more cores free on b at 09:10-09:15",
                "with --cpu-limit 100% it fits",
            ),
        )
    ]
    assert plan.moves == () and np.array_equal(plan.target, plan.before)
    assert plan.notes == ("no evacuation exists at these limits (proven by the exact model)",)
    assert plan_of(inv.with_limits(cpu=1.0), "a").feasible  # the hint was verified


def test_cpu_limit_hint_is_the_lowest_that_fits() -> None:
    inv = inventory(
        [("a", 10, 64), ("b", 10, 64)],
        [("x", "a", 4, 8, [3, 3]), ("y", "b", 8, 8, [5, 5])],
        cpu_limit=0.7,
    )
    plan = plan_of(inv, "a")
    assert plan.unplaced[0].reasons[-1] == "with --cpu-limit 80% it fits"


def test_memory_shortfall_in_gib() -> None:
    inv = inventory(
        [("a", 8, 16), ("b", 8, 16)],
        [("x", "a", 1, 8, FLAT), ("y", "b", 1, 10, FLAT)],
        memory_limit=0.9,
    )
    plan = plan_of(inv, "a")
    assert plan.unplaced[0].reasons == (
        "no host has room; closest is b: memory short by 3.6 GiB",
        "would fit with 3.6 GiB more memory free on b",
    )


def test_anti_affinity_rule_is_named() -> None:
    inv = inventory(
        [("a", 8, 64), ("b", 8, 64)],
        [("db1", "a", 1, 8, FLAT), ("db2", "b", 1, 8, FLAT)],
        rules=[(RuleKind.ANTI_AFFINITY, ["db1", "db2"], [], "db-spread")],
    )
    plan = plan_of(inv, "a")
    assert plan.unplaced[0].reasons == (
        "no host has room; closest is b: anti-affinity rule db-spread (shares the host with db2)",
        "would fit without anti-affinity rule db-spread",
    )


def test_one_entry_per_vm_that_cannot_be_placed() -> None:
    inv = inventory(
        [("a", 8, 64), ("b", 8, 20)],
        [
            ("big1", "a", 1, 16, FLAT),
            ("big2", "a", 1, 16, FLAT),
            ("small", "a", 1, 2, FLAT),
        ],
    )
    plan = plan_of(inv, "a")
    assert not plan.feasible
    assert [inv.vms[u.vm].name for u in plan.unplaced] == ["big2"]


# --- the quietest window --------------------------------------------------------------------


def test_quietest_window_is_the_lowest_destination_load() -> None:
    day = 24 * 12  # 5-minute samples
    quiet = np.full(day, 2.0)
    quiet[2 * 12 : 3 * 12] = 0.5  # 02:00-03:00 is quiet on the destination
    inv = inventory(
        [("a", 8, 64), ("b", 8, 64)],
        [("x", "a", 1, 4, np.full(day, 0.5)), ("y", "b", 4, 4, quiet)],
        start=datetime(2026, 11, 2, tzinfo=UTC),
    )
    plan = plan_of(inv, "a")
    w = quietest(inv, plan)
    assert w is not None
    assert (w.start, w.end, w.seconds) == ("02:00", "02:05", 300)
    assert w.cpu == pytest.approx(1.0 / 8)
    assert w.busiest_cpu == pytest.approx(2.5 / 8)


def test_no_window_without_timestamps() -> None:
    inv = inventory([("a", 8, 64), ("b", 8, 64)], [("x", "a", 1, 4, FLAT)])
    assert quietest(inv, plan_of(inv, "a")) is None


# --- check --evacuable ----------------------------------------------------------------------


def test_evacuable_finds_the_hosts_that_cannot_be_emptied() -> None:
    """x fits only on b, and only without y; y fits nowhere but b; z can go to b."""
    inv = inventory(
        [("a", 8, 64), ("b", 8, 64), ("c", 4, 64)],
        [
            ("x", "a", 8, 8, [7.5, 7.5]),
            ("y", "b", 1, 8, [1, 1]),
            ("z", "c", 1, 8, [3.5, 3.5]),
        ],
    )
    verdicts = evacuable(inv)
    assert [v.feasible for v in verdicts] == [False, False, True]
    problems = evacuable_check.check(inv, inv.current)
    assert [(p.path, p.rule, p.line) for p in problems] == [
        ("hosts[a]", "evacuable", 1),
        ("hosts[b]", "evacuable", 2),
    ]
    assert problems[0].message == (
        "host a cannot be evacuated now: x: no host has room; closest is b: CPU short by 0.5 "
        "cores at +0h00m (over the 100% limit during +0h00m-+0h10m) / would fit with 0.5 more "
        "cores free on b at +0h00m-+0h10m"
    )


# --- properties against brute force ---------------------------------------------------------


def brute_force(inv: Inventory, evac: int) -> bool:
    """Whether the VMs on ``evac`` can go to the other hosts, everything else staying put: every
    assignment, pruned only by the capacity left, each complete one judged by verify_placement."""
    open_hosts = [h for h in range(len(inv.hosts)) if h != evac and not inv.maintenance[h]]
    leaving = np.flatnonzero(inv.current == evac).tolist()
    target = inv.current.copy()
    target[leaving] = -1
    stay = target >= 0
    cpu = host_loads(inv, np.where(stay, target, -1))
    mem = host_memory_use(inv, np.where(stay, target, -1))

    def search(k: int) -> bool:
        if k == len(leaving):  # VMs on another host in maintenance may stay there
            return not verify_placement(inv, target, {evac}, inv.current)
        v = leaving[k]
        for h in open_hosts:
            if (cpu[h] + inv.demand[v] > inv.cpu_cap[h] + 1e-6).any():
                continue
            if mem[h] + inv.memory[v] > inv.mem_cap[h] + 1:
                continue
            cpu[h] += inv.demand[v]
            mem[h] += inv.memory[v]
            target[v] = h
            found = search(k + 1)
            cpu[h] -= inv.demand[v]
            mem[h] -= inv.memory[v]
            if found:
                return True
        target[v] = -1
        return False

    return search(0)


@st.composite
def clusters(draw: st.DrawFn) -> tuple[Inventory, int]:
    n_hosts = draw(st.integers(3, 5))
    n_vms = draw(st.integers(4, 10))
    samples = draw(st.integers(2, 4))
    cores = [draw(st.sampled_from([4.0, 8.0])) for _ in range(n_hosts)]
    mem = [draw(st.sampled_from([8.0, 16.0])) for _ in range(n_hosts)]
    load = np.zeros((n_hosts, samples))
    used = [0.0] * n_hosts
    vms: list[VmSpec] = []
    for k in range(n_vms):
        series = [float(draw(st.integers(0, 3))) for _ in range(samples)]
        size = float(draw(st.sampled_from([1.0, 2.0, 4.0])))
        fit = [
            h
            for h in range(n_hosts)
            if (load[h] + series <= cores[h]).all() and used[h] + size <= mem[h]
        ]
        if not fit:
            continue
        h = draw(st.sampled_from(fit))
        load[h] += series
        used[h] += size
        vms.append((f"v{k}", f"h{h}", 1, size, series))
    names = [v[0] for v in vms]
    host_of = {n: h for (n, h, *_) in vms}
    rules = []
    if len(names) >= 2 and draw(st.booleans()):
        pair = draw(st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True))
        if host_of[pair[0]] != host_of[pair[1]]:
            rules.append((RuleKind.ANTI_AFFINITY, pair, [], "spread"))
    if len(names) >= 2 and draw(st.booleans()):  # a pair that must stay together
        pair = draw(st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True))
        if host_of[pair[0]] == host_of[pair[1]]:
            rules.append((RuleKind.AFFINITY, pair, [], "together"))
    if names and draw(st.booleans()):  # a VM pinned to its host and one other
        vm = draw(st.sampled_from(names))
        other = f"h{draw(st.integers(0, n_hosts - 1))}"
        rules.append((RuleKind.PIN, [vm], sorted({host_of[vm], other}), "pinned"))
    occupied = sorted({h for (_, h, *_) in vms}) or ["h0"]
    evac = draw(st.sampled_from(occupied))
    others = [f"h{h}" for h in range(n_hosts) if f"h{h}" != evac]
    maintenance = [draw(st.sampled_from(others))] if draw(st.booleans()) else []
    hosts = [(f"h{h}", cores[h], mem[h]) for h in range(n_hosts)]
    inv = inventory(hosts, vms, rules, maintenance=maintenance)
    return inv, inv.host_index[evac]


@hsettings(max_examples=80)
@given(clusters())
def test_finds_an_evacuation_whenever_brute_force_does(case: tuple[Inventory, int]) -> None:
    inv, evac = case
    plan = evacuate(inv, [evac], FAST)
    if brute_force(inv, evac):  # then also with the fewest migrations: no room-making
        assert plan.feasible
        assert summarize(inv, plan).other_moves == 0
    if plan.feasible:
        assert_valid(inv, plan)
        assert summarize(inv, plan).evacuated_vms == int((inv.current == evac).sum())
    else:
        assert plan.unplaced and plan.moves == ()
        assert np.array_equal(plan.target, plan.before)
