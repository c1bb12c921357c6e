"""``pack --spare N``: room to evacuate N hosts of the result, each evacuation verified.

Feasibility is checked independently of the room check the planner used: the plan's placement
with the independent verifier, and every used host emptied by ``vmplan evacuate`` (a full plan,
its waves verified) on the inventory after the plan with the freed hosts in maintenance, or by
``vmplan check --evacuable`` on the inventory ``vmplan apply`` writes.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fleetgen import write_fleet
from hypothesis import given, settings
from test_pack import tiny
from typer.testing import CliRunner

from tests.clirun import run
from vmplan.engine.verify import verify_placement
from vmplan.evacuate import evacuate
from vmplan.evacuate.room import largest, spare_check
from vmplan.inventory import load
from vmplan.model import Inventory
from vmplan.pack import PackSettings, pack
from vmplan.pack.spare import closed_after

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def planned(inv: Inventory, spare: int) -> tuple[Inventory, np.ndarray]:
    settings = PackSettings(time_limit=1, spare=spare)
    room = spare_check(spare, settings) if spare else None
    result = pack(inv, settings, None, room)
    assert result.plan.feasible
    target = result.plan.target
    assert verify_placement(inv, target) == []
    return closed_after(inv, target), target


def evacuation_fits(after: Inventory, target: np.ndarray, hosts: list[int]) -> bool:
    """Empty ``hosts`` of the placement with a full evacuate plan (verified waves)."""
    moved = Inventory(
        after.hosts,
        tuple(
            replace(v, host=after.hosts[int(h)].name)
            for v, h in zip(after.vms, target.tolist(), strict=True)
        ),
        after.rules,
        after.demand,
        after.interval_s,
        after.start,
    )
    plan = evacuate(moved, hosts)
    if not plan.feasible:
        return False
    forbidden = set(hosts) | set(np.flatnonzero(after.maintenance).tolist())
    assert verify_placement(moved, plan.target, forbidden=forbidden) == []
    return True


def test_spare_1_plan_on_the_sample_can_evacuate_every_host_it_uses() -> None:
    inv = load([str(SAMPLES / "inventory.yaml")]).inventory
    after, target = planned(inv, 1)
    used = np.unique(target).tolist()
    assert len(used) < len(inv.hosts)  # it still consolidates
    for h in used:
        assert evacuation_fits(after, target, [h]), inv.hosts[h].name


def test_spare_2_also_empties_the_two_largest_hosts_together() -> None:
    inv = load([str(SAMPLES / "inventory.yaml")]).inventory
    after, target = planned(inv, 2)
    for h in np.unique(target).tolist():
        assert evacuation_fits(after, target, [h])
    assert evacuation_fits(after, target, largest(after, target, 2))


def test_spare_costs_hosts_and_lifts_the_lower_bound(cli: CliRunner) -> None:
    shutil.copy(SAMPLES / "inventory.yaml", "inventory.yaml")
    plans = {}
    for n in ("0", "1"):
        run(cli, "pack", "inventory.yaml", "--spare", n, "--risk", "none", "-o", f"p{n}.json")
        plans[n] = json.loads(Path(f"p{n}.json").read_text(encoding="utf-8"))
    tight, roomy = plans["0"], plans["1"]
    assert (tight["spare"], roomy["spare"]) == (0, 1)
    assert tight["hosts_used"] <= roomy["hosts_used"] < tight["hosts_before"]
    plain = max(roomy["lower_bound_detail"].values())
    assert roomy["lower_bound"] == plain + 1 <= roomy["hosts_used"]
    assert all(p["hosts"] >= roomy["lower_bound"] for p in roomy["frontier"])


def test_spare_1_plan_applied_passes_check_evacuable(cli: CliRunner) -> None:
    """Issue 13's last test: apply the plan of ``pack --spare 1``, then ``check --evacuable``."""
    shutil.copy(SAMPLES / "inventory.yaml", "inventory.yaml")
    run(cli, "pack", "inventory.yaml", "--spare", "1", "-f", "json", "-o", "plan.json")
    run(
        cli,
        "apply",
        "plan.json",
        "inventory.yaml",
        "--mark-freed",
        "maintenance",
        "-o",
        "after.yaml",
    )
    assert "no findings" in run(cli, "check", "after.yaml", "--evacuable")
    # and the tightest plan, so applied, does not: that is what --spare is for
    run(cli, "pack", "inventory.yaml", "--spare", "0", "-f", "json", "-o", "tight.json")
    run(cli, "apply", "tight.json", "inventory.yaml", "--mark-freed", "maintenance", "-o", "t.yaml")
    run(cli, "check", "t.yaml", "--evacuable", code=1)


def test_no_room_anywhere_is_infeasible_and_says_what_to_do(cli: CliRunner) -> None:
    Path("one.yaml").write_text(
        textwrap.dedent(
            """\
            version: 1
            hosts:
              - {name: a, cpus: 8, memory: 64GiB}
            vms:
              - {name: v, host: a, vcpus: 2, memory: 4GiB, cpu: [10, 20, 30, 40]}
            """
        ),
        encoding="utf-8",
    )
    out = run(cli, "pack", "one.yaml", "--spare", "1", "--risk", "none", "-f", "text", code=1)
    assert "--spare 0" in out
    assert "0 migrations" in run(cli, "pack", "one.yaml", "--spare", "0", "--risk", "none")


# --- sizing in evacuate and check (issue 10) ------------------------------------------------

ALTERNATING = """\
version: 1
hosts:
  - {name: a, cpus: 8, memory: 64GiB}
  - {name: b, cpus: 8, memory: 64GiB}
vms:
  - {name: up, host: a, vcpus: 8, memory: 4GiB, cpu: "100 0 100 0 100 0 100 0 100 0 100 0"}
  - {name: down, host: a, vcpus: 8, memory: 4GiB, cpu: "0 100 0 100 0 100 0 100 0 100 0 100"}
"""


def test_check_keeps_the_series_as_given_unless_a_sizing_option_is_given(cli: CliRunner) -> None:
    """Two VMs that never peak together fit one host on their series; sized by their peaks they
    do not: the sized series decide "over the limit" only when asked."""
    Path("alt.yaml").write_text(ALTERNATING, encoding="utf-8")
    assert "ok: 2 hosts, 2 VMs, 12 samples, no findings" in run(cli, "check", "alt.yaml")
    assert "sizing" not in json.loads(run(cli, "check", "alt.yaml", "-f", "json"))
    out = run(cli, "check", "alt.yaml", "--size", "peak", code=1)
    assert "host a combined CPU reaches 200.0% of 8 cores" in out
    assert "failed: 2 hosts, 2 VMs, 12 samples (sized on each VM's peak; " in out
    doc = json.loads(run(cli, "check", "alt.yaml", "--size", "peak", "-f", "json", code=1))
    assert doc["sizing"]["method"] == "peak" and doc["samples"] == 12


def test_evacuate_sizes_like_pack(cli: CliRunner) -> None:
    shutil.copy(SAMPLES / "inventory.yaml", "inventory.yaml")
    args = ["evacuate", "esx03", "-i", "inventory.yaml"]
    doc = json.loads(run(cli, *args, "--size", "p95", "-f", "json"))
    assert doc["feasible"] and doc["sizing"]["method"] == "p95"
    assert doc["sizing"]["holdout"]["samples"] > 0  # the evacuation replayed on held-out data
    assert doc["optimal_for"] == "the sized series"
    line = run(cli, *args, "--size", "p95", "-f", "text").splitlines()[-1]
    assert (
        line.startswith("Evacuate esx03: ")
        and "; sized on each VM's p95; held-out replay: " in line
    )
    assert run(cli, *args, "--risk", "none", "-f", "text").endswith(
        "planned on the history as given\n"
    )
    # the sized plan is verified on the sized series: peaks sized up leave less room
    Path("alt.yaml").write_text(ALTERNATING, encoding="utf-8")
    run(cli, "evacuate", "b", "-i", "alt.yaml", "--risk", "none")
    run(cli, "evacuate", "a", "-i", "alt.yaml", "--size", "peak", code=1)


@settings(max_examples=15)
@given(tiny())
def test_every_spare_plan_can_evacuate_each_host_it_uses(inv: Inventory) -> None:
    """Property: a feasible ``--spare 1`` plan never goes below its bound, and each used host is
    emptied by a full evacuate plan (its waves verified) with the freed hosts gone."""
    settings_ = PackSettings(time_limit=0.5, spare=1)
    result = pack(inv, settings_, None, spare_check(1, settings_))
    if not result.plan.feasible:
        return
    target = result.plan.target
    assert verify_placement(inv, target) == []
    used = np.unique(target).tolist()
    assert len(used) >= result.plan.lower_bound >= result.bounds.plain + 1
    after = closed_after(inv, target)
    for h in used:
        assert evacuation_fits(after, target, [h])


def test_a_check_that_needs_only_some_failures_stops_at_the_fullest_failed_hosts() -> None:
    """Asked for ``enough`` failures, the room check returns at least that many of the hosts the
    whole check fails (all those failing without a search, which cost nothing, then the fullest
    searched), and none exactly when the whole check finds none."""
    inv = load([str(SAMPLES / "inventory.yaml")]).inventory
    settings_ = PackSettings(time_limit=1, spare=0)
    tight = pack(inv, settings_).plan.target  # packed without room: hosts fail
    after = closed_after(inv, tight)
    check = spare_check(1, settings_)
    every = check(after, tight, None)
    assert len(every) >= 3
    for enough in (1, 2, len(every) + 1):
        some = check(after, tight, enough)
        assert set(some) <= set(every) and len(some) >= min(enough, len(every))
    roomy = inv.current  # today's placement keeps room
    assert check(closed_after(inv, roomy), roomy, 1) == check(closed_after(inv, roomy), roomy, None)


def test_a_check_that_stops_early_still_gives_the_whole_checks_verdict(monkeypatch) -> None:
    """A host that fails without room-making but passes with it (the whole check searches up to
    FULL_SEARCH such hosts again): a check that needs only one failure must not stop at it and
    call the placement roomless (it rejected cheaper candidates the whole check accepts)."""
    from types import SimpleNamespace

    import builders

    from vmplan.evacuate import room

    inv = builders.inventory(
        [(8, 64)] * 3, [(2, 4, [50, 50], 0), (2, 4, [40, 40], 1), (2, 4, [10, 10], 2)]
    )

    def evacuable(inv, settings, current=None, hosts=(), explain=True, room=True, stop_after=None):
        out = []
        for h in hosts:
            if stop_after is not None and sum(not v.feasible for v in out) >= stop_after:
                break
            out.append(SimpleNamespace(host=h, feasible=room or h != 0))  # 0 needs room-making
        return out

    monkeypatch.setattr(room, "evacuable", evacuable)
    check = room.spare_check(1, PackSettings(time_limit=1, spare=1))
    assert check(inv, inv.current, None) == check(inv, inv.current, 1) == []


@pytest.mark.parametrize("spare", [1, 2])
def test_a_plan_the_exact_model_takes_as_proven_keeps_its_bound(tmp_path: Path, spare: int):
    """When a plan already meets the bound (spare included), the exact model takes its host count
    as given and returned it as its bound: the spare was then added a second time, and a plan of
    2 hosts said "lower bound 3, optimal" (found by a tester)."""
    path = write_fleet(tmp_path, 4, 20, 5, 288, named=False)[3]
    inv = load([path]).inventory
    settings = PackSettings(time_limit=1, spare=spare, max_migrations=12)
    result = pack(inv, settings, None, spare_check(spare, settings))
    hosts = int(np.unique(result.plan.target).size)
    assert result.plan.feasible and result.plan.lower_bound <= hosts
    assert result.bounds.best == result.plan.lower_bound == hosts == spare + 1
