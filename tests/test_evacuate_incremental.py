"""The incremental verifier of ``check --evacuable`` agrees with the from-scratch one."""

from __future__ import annotations

import numpy as np
from builders import inventory
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pack import tiny

from vmplan.engine.verify import verify_placement
from vmplan.evacuate import evacuable, evacuate
from vmplan.evacuate.incremental import Verifier
from vmplan.inventory import load
from vmplan.model import Inventory


@settings(max_examples=80, deadline=None)
@given(tiny(), st.data())
def test_same_verdict_and_messages_as_from_scratch(inv: Inventory, data: st.DataObject) -> None:
    """Any target (valid or not), any named host, today's placement valid or not."""
    n_hosts = len(inv.hosts)
    target = np.array(
        data.draw(
            st.lists(st.integers(0, n_hosts - 1), min_size=len(inv.vms), max_size=len(inv.vms))
        )
    )
    named = frozenset({data.draw(st.integers(0, n_hosts - 1))})
    verifier = Verifier(inv, inv.current)
    assert verifier.problems(target, named) == verify_placement(
        inv, target, set(named), inv.current
    )
    # the same verifier, reused for another evacuation, still answers from today's loads
    assert verifier.problems(inv.current, frozenset()) == verify_placement(
        inv, inv.current, set(), inv.current
    )


def test_every_evacuation_of_the_sample_verifies_the_same_both_ways() -> None:
    inv = load(["samples/inventory.yaml"]).inventory
    verifier = Verifier(inv, inv.current)
    for h in range(len(inv.hosts)):
        plan = evacuate(inv, [h])
        if plan.feasible:
            expected = verify_placement(inv, plan.target, {h}, inv.current)
            assert verifier.problems(plan.target, frozenset({h})) == expected == []


def test_an_overloaded_host_elsewhere_is_still_reported() -> None:
    # h2 is over its limit today and no evacuation of h0 touches it
    vms = [(2, 4, [50], 0), (4, 4, [100], 2), (4, 4, [100], 2)]
    inv = inventory([(8, 64), (8, 64), (4, 64)], vms)
    target = inv.current.copy()
    target[0] = 1
    got = Verifier(inv, inv.current).problems(target, frozenset({0}))
    assert got == verify_placement(inv, target, {0}, inv.current)
    assert any("h2 over its CPU limit" in p for p in got)


def test_evacuable_still_answers_every_host() -> None:
    inv = load(["samples/inventory.yaml"]).inventory
    verdicts = evacuable(inv)
    assert [v.host for v in verdicts] == list(range(len(inv.hosts)))
