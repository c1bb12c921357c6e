"""Lower bounds: the distinct maximal samples and the bin-packing bound against brute force."""

from __future__ import annotations

import dataclasses
import itertools

import builders
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pack import brute_force_hosts, tiny

from vmplan.constraints import cpu_fits, exact_cpu_sizes, padded_cpu_cap
from vmplan.engine.bounds import dff, l2, lower_bounds, maximal_columns
from vmplan.engine.items import build
from vmplan.model import Inventory


@settings(max_examples=60, deadline=None)
@given(tiny())
def test_maximal_columns_leave_the_optimum_unchanged(inv: Inventory) -> None:
    columns = maximal_columns(inv.demand)
    assert columns is not None
    # every dropped sample is, VM by VM, at most some kept one
    for t in range(inv.n_samples):
        assert (inv.demand[:, columns] >= inv.demand[:, t : t + 1]).all(axis=0).any()
    reduced = dataclasses.replace(inv, demand=np.ascontiguousarray(inv.demand[:, columns]))
    assert brute_force_hosts(reduced) == brute_force_hosts(inv)


def test_equal_and_dominated_samples_are_dropped() -> None:
    demand = np.array([[1.0, 1.0, 0.5, 2.0, 0.0], [1.0, 1.0, 1.0, 0.0, 0.0]])
    columns = maximal_columns(demand)
    assert columns is not None and columns.tolist() == [0, 3]


def _fewest_bins(sizes: list[float], cap: float) -> int:
    """Bins needed, by trying every assignment (a handful of items only)."""
    n = len(sizes)
    for k in range(1, n + 1):
        for combo in itertools.product(range(k), repeat=n):
            loads = np.bincount(combo, weights=sizes, minlength=k)
            if (loads <= cap + 1e-9).all():
                return k
    return 0


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(1, 100), min_size=1, max_size=6))
def test_l2_is_a_bound_at_least_the_volume_bound(sizes: list[int]) -> None:
    w = [float(s) for s in sizes]
    bound = l2(np.array(w), 100.0)
    assert int(np.ceil(sum(w) / 100 - 1e-9)) <= bound <= _fewest_bins(w, 100.0)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(1, 100), min_size=1, max_size=6))
def test_dual_feasible_function_bound_never_exceeds_brute_force(sizes: list[int]) -> None:
    w = [float(s) for s in sizes]
    assert dff(np.array(w), 100.0) <= _fewest_bins(w, 100.0)


def test_dual_feasible_functions_see_what_volume_does_not() -> None:
    # five items of 34: volume says 2 bins (170), but no three fit in one, so 3 are needed (and
    # none is above half a bin, so L2 sees no more than volume)
    assert dff(np.array([34.0] * 5), 100.0) == 3


def test_l2_counts_items_too_large_to_share() -> None:
    # three items of 60: volume says 2 hosts, but no two of them fit together
    assert l2(np.array([60.0, 60.0, 60.0]), 100.0) == 3


@settings(max_examples=40, deadline=None)
@given(tiny())
def test_every_bound_named_and_the_binding_one_is_the_best(inv: Inventory) -> None:
    b = lower_bounds(inv, build(inv))
    values = b.values()
    assert {"cpu", "memory", "conflicts", "bin_packing"} <= set(values)
    assert b.binding() and all(values[k] == b.best for k in b.binding())
    optimum = brute_force_hosts(inv)
    assert optimum is None or b.best <= optimum


def test_exact_fractions_of_a_host_keep_their_per_sample_bound() -> None:
    """Six hosts are needed (three 0.8 alone, two 0.55 alone or with a 0.3, the 0.25 fits beside
    none of them). With the fit test's tolerance as the bins' size (1 + 2e-9 cores) the
    dual-feasible-function bound says 5; on the limit itself, which the sizes' whole hundredths
    make exact, it says 6, and pack proves its 6 hosts optimal."""
    from vmplan.pack import PackSettings, pack

    sizes = [80, 80, 80, 55, 55, 30, 30, 25]  # percent of one vCPU; hosts of one core at 100%
    inv = builders.inventory([(1, 64)] * 8, [(1, 1, [s], k) for k, s in enumerate(sizes)])
    bounds = lower_bounds(inv, build(inv))
    assert bounds.bin_packing == 6
    plan = pack(inv, PackSettings(time_limit=1)).plan
    assert plan.feasible and len(set(plan.target.tolist())) == 6 and plan.optimal


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 10_000), min_size=1, max_size=8),
    st.integers(1, 10_000),
    st.sampled_from([0.01, 0.001, 0.1]),
)
def test_decimal_demands_fit_the_padded_limit_exactly_when_their_steps_fit_the_limit(
    steps: list[int], limit_steps: int, step: float
) -> None:
    """``exact_cpu_sizes``: every subset of the demands fits the padded limit (the one fit rule)
    exactly when its whole steps fit the limit's; demands of no decimal step stay as they are."""
    sizes = np.array(steps, dtype=np.float64) * step
    limit = limit_steps * step
    whole, cap = exact_cpu_sizes(sizes, limit)
    assert (whole * limit_steps == np.array(steps) * cap).all()  # the same, maybe in coarser steps
    for mask in itertools.product((False, True), repeat=len(steps)):
        chosen = np.array(mask)
        fits = bool(cpu_fits(float(sizes[chosen].sum()), limit))
        assert fits == (whole[chosen].sum() <= cap)
    thirds = np.array([1 / 3, 2 / 3])
    same, padded = exact_cpu_sizes(thirds, 1.0)
    assert (same == thirds).all() and padded == float(padded_cpu_cap(1.0))


def test_without_maximal_samples_the_busiest_samples_are_bounded_too() -> None:
    """Over the work limit for maximal samples, the per-sample bounds look at the samples of
    highest total demand as well as every item's peak sample."""
    from vmplan.engine.bounds import TOP_TOTALS, _likely_columns

    rng = np.random.default_rng(3)
    demand = rng.random((50, 400))
    total = demand.sum(axis=0)
    cols = set(_likely_columns(demand, total).tolist())
    assert set(np.argsort(-total)[:TOP_TOTALS].tolist()) <= cols
    assert set(np.argmax(demand, axis=1).tolist()) <= cols
