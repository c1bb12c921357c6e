"""Split and merge: every VM in exactly one cluster, plans mapped back and verified as a whole."""

from __future__ import annotations

import pickle
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from fleetgen import write_fleet
from hypothesis import given
from hypothesis import strategies as st

from vmplan.engine.verify import verify_plan
from vmplan.fleet import UnknownCluster, Where, run, split
from vmplan.fleet.packing import pack_fleet, shares, sum_frontiers
from vmplan.fleet.split import restrict
from vmplan.inventory import load
from vmplan.model import Inventory
from vmplan.pack import PackSettings
from vmplan.pack.result import FrontierPoint


def fleet(tmp_path: Path, clusters: int = 3, seed: int = 7) -> Inventory:
    return load(write_fleet(tmp_path, clusters, 24, 4, 96, seed=seed)).inventory


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_vm_and_host_is_in_exactly_one_part(tmp_path, seed):
    inv = fleet(tmp_path, 2 + seed, seed)
    parts = split(inv)
    assert [p.name for p in parts] == [f"c{c:02d}" for c in range(2 + seed)]
    assert sorted(np.concatenate([p.vms for p in parts]).tolist()) == list(range(len(inv.vms)))
    assert sorted(np.concatenate([p.hosts for p in parts]).tolist()) == list(range(len(inv.hosts)))
    for p in parts:
        sub = p.inventory
        assert all(h.cluster == p.name for h in sub.hosts)
        np.testing.assert_array_equal(sub.demand, inv.demand[p.vms])
        assert np.shares_memory(sub.demand, inv.demand)  # one file per cluster: a view
        assert not sub.demand.flags.writeable
        np.testing.assert_array_equal(p.hosts[sub.current], inv.current[p.vms])


def test_scattered_rows_are_taken_and_read_only(tmp_path):
    inv = fleet(tmp_path)
    shuffled = Inventory(
        inv.hosts, inv.vms[::-1], inv.rules, inv.demand[::-1], inv.interval_s, inv.start
    )
    for p in split(shuffled):
        assert not p.inventory.demand.flags.writeable
        np.testing.assert_array_equal(p.inventory.demand, shuffled.demand[p.vms])


def test_a_fleet_of_one_unnamed_cluster_is_its_own_part(tmp_path):
    inv = load(write_fleet(tmp_path, 1, 10, 3, 24, named=False)).inventory
    [part] = split(inv)
    assert part.inventory is inv and part.name == ""


def test_a_sub_inventory_pickles_to_its_own_rows_and_stays_read_only(tmp_path):
    inv = fleet(tmp_path)
    sub = split(inv)[1].inventory
    back = pickle.loads(pickle.dumps(sub))
    np.testing.assert_array_equal(back.demand, sub.demand)
    assert back.hosts == sub.hosts and back.vms == sub.vms
    assert not back.demand.flags.writeable and not back.current.flags.writeable


def test_restrict_and_unknown_clusters(tmp_path):
    inv = fleet(tmp_path)
    only = restrict(inv, ["c02", "c00"])
    assert {h.cluster for h in only.hosts} == {"c00", "c02"}
    assert len(only.vms) == 48
    assert restrict(inv, []) is inv
    with pytest.raises(UnknownCluster):
        split(inv, ["nope"])


@pytest.mark.parametrize("seed", [4, 5])
def test_merged_plans_pass_the_independent_verifier(tmp_path, seed):
    inv = fleet(tmp_path, 3, seed)
    settings = PackSettings(time_limit=0.5)
    done = pack_fleet(inv, settings, Where(1))
    plan = done.merged.plan
    assert plan.feasible
    assert verify_plan(inv, plan, settings.parallel) == []
    assert plan.lower_bound == sum(r.plan.lower_bound for r in done.results)
    assert len(plan.moves) == sum(len(r.plan.moves) for r in done.results)
    assert plan.waves == max(r.plan.waves for r in done.results)
    cluster = np.array([h.cluster for h in inv.hosts])
    assert (cluster[plan.target] == cluster[inv.current]).all()  # nobody leaves its cluster
    assert np.unique(plan.target).size >= plan.lower_bound


def test_an_unaligned_matrix_from_a_message_buffer_is_rebuilt_aligned(tmp_path):
    """Dask hands numpy a buffer at any address; unaligned, numpy's slow paths made a cluster's
    pack 20 times slower on a worker."""
    sub = split(fleet(tmp_path))[0].inventory
    raw = bytearray(sub.demand.nbytes + 1)
    unaligned = np.frombuffer(raw, dtype=np.float64, offset=1, count=sub.demand.size)
    unaligned = unaligned.reshape(sub.demand.shape)
    unaligned[:] = sub.demand
    assert not unaligned.flags.aligned
    rebuild, fields = sub.__reduce__()
    back = rebuild(*fields[:3], unaligned, *fields[4:])
    assert back.demand.flags.aligned and not back.demand.flags.writeable
    np.testing.assert_array_equal(back.demand, sub.demand)


_frontier = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 20)), min_size=1, max_size=4).map(
    lambda pts: [FrontierPoint(h, m) for h, m in pts]
)


@given(st.lists(_frontier, min_size=1, max_size=4))
def test_the_fleet_frontier_is_the_best_choice_of_one_point_per_cluster(frontiers):
    """Against brute force: every choice of one point per cluster, then the points no other
    beats on both hosts and migrations."""
    from itertools import product

    sums = [
        (sum(p.hosts for p in pick), sum(p.migrations for p in pick))
        for pick in product(*frontiers)
    ]
    best = {
        (h, m)
        for h, m in sums
        if not any(h2 <= h and m2 <= m and (h2, m2) != (h, m) for h2, m2 in sums)
    }
    got = sum_frontiers(frontiers)
    assert {(p.hosts, p.migrations) for p in got} == best
    assert sum_frontiers([*frontiers, []]) == ()  # a cluster without a frontier: none at all


@given(st.lists(_frontier, min_size=1, max_size=4), st.integers(0, 40))
def test_shares_pick_the_fewest_hosts_within_the_budget(frontiers, budget):
    """Against brute force: the choice of one point per cluster with the fewest hosts in all
    (then the fewest migrations) whose migrations add up to at most ``budget``."""
    from itertools import product

    points = [[(p.hosts, p.migrations) for p in f] for f in frontiers]
    fits = [
        (sum(h for h, _m in pick), sum(m for _h, m in pick))
        for pick in product(*points)
        if sum(m for _h, m in pick) <= budget
    ]
    got = shares(points, budget)
    if not fits:
        assert got is None
        return
    assert got is not None and sum(got) <= budget
    hosts = sum(
        min(h for h, m in pts if m == share) for pts, share in zip(points, got, strict=True)
    )
    assert (hosts, sum(got)) == min(fits)


def test_pack_frontier_of_a_fleet_ends_at_the_fleets_plan(tmp_path):
    inv = fleet(tmp_path)
    settings = PackSettings(time_limit=1.0, frontier=True, spare=0)
    solved = pack_fleet(inv, settings, Where(1))
    points = solved.merged.frontier
    plan = solved.merged.plan
    assert points[0].migrations == 0 and points[0].hosts == len(set(plan.before.tolist()))
    assert (points[-1].hosts, points[-1].migrations) == (
        len(set(plan.target.tolist())),
        len(plan.moves),
    )


def test_side_by_side_runs_every_task_once_here_from_the_last_there_from_the_first():
    """This thread takes the tasks from the last while the pool's worker takes them from the
    first, each task once, the results in the tasks' order."""
    ran: list[tuple[str, int]] = []
    started = threading.Event()

    def there(k: int) -> int:
        started.set()
        ran.append(("there", k))
        return k * k

    def here(k: int) -> int:
        assert started.wait(10)  # the worker has a task before this thread takes all of them
        ran.append(("here", k))
        return k * k

    n = 12
    with ThreadPoolExecutor(1) as pool:
        results = run._side_by_side(
            pool, 1, [partial(there, k) for k in range(n)], [partial(here, k) for k in range(n)]
        )
    assert results == [k * k for k in range(n)]
    assert sorted(k for _w, k in ran) == list(range(n))
    mine = [k for w, k in ran if w == "here"]
    theirs = [k for w, k in ran if w == "there"]
    assert mine and theirs and mine == sorted(mine, reverse=True) and theirs == sorted(theirs)
    assert max(theirs) < min(mine)


def test_side_by_side_starts_no_task_after_one_failed_and_raises_it():
    started: list[int] = []
    failed = threading.Event()

    def there(k: int) -> int:
        started.append(k)
        failed.set()
        raise BrokenProcessPool("a worker was lost")

    def here(k: int) -> int:
        started.append(k)
        assert failed.wait(10)
        time.sleep(0.5)  # the helper sees the failure meanwhile
        return k

    n = 20
    with ThreadPoolExecutor(1) as pool, pytest.raises(BrokenProcessPool, match="lost"):
        run._side_by_side(
            pool, 1, [partial(there, k) for k in range(n)], [partial(here, k) for k in range(n)]
        )
    assert len(started) < n // 2
