"""Reading plan JSON back against an inventory: every problem with its line, column and path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vmplan.inventory import load
from vmplan.model import Inventory
from vmplan.planfile import format_path, locate, read_plan
from vmplan.problems import InputError

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SAMPLE_PLAN = Path(__file__).resolve().parent / "data" / "report" / "sample-plan.json"

Row = tuple[int, int, str, str]


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load([SAMPLES / "inventory.yaml"]).inventory


def placement(inv: Inventory, **moves: str) -> dict[str, str]:
    out = {v.name: v.host for v in inv.vms}
    out.update(moves)
    return out


def problems(text: str, inv: Inventory) -> list[Row]:
    with pytest.raises(InputError) as info:
        read_plan(text, "plan.json", inv)
    assert all(p.file == "plan.json" for p in info.value.problems)
    return [(p.line, p.column, p.path, p.message) for p in info.value.problems]


def test_the_sample_plan_reads_back(inv: Inventory) -> None:
    doc = json.loads(SAMPLE_PLAN.read_text(encoding="utf-8"))
    plan = read_plan(SAMPLE_PLAN.read_text(encoding="utf-8"), "p", inv)
    assert plan.command == "pack" and plan.feasible
    assert plan.lower_bound == doc["lower_bound"] and plan.optimal == doc["optimal"]
    assert {v.name: inv.hosts[h].name for v, h in zip(inv.vms, plan.target, strict=True)} == doc[
        "placement"
    ]
    assert len(plan.moves) == len(doc["migrations"])
    assert [m.wave for m in plan.moves] == sorted(m["wave"] for m in doc["migrations"])
    assert str(plan.moves[0].reason) == doc["migrations"][0]["reason"]
    assert plan.before is inv.current
    assert not plan.target.flags.writeable


def test_only_placement_is_required(inv: Inventory) -> None:
    plan = read_plan(json.dumps({"placement": placement(inv, web01="esx08")}), "p", inv)
    assert plan.command == "pack" and plan.moves == () and plan.lower_bound is None
    assert inv.hosts[plan.target[inv.vm_index["web01"]]].name == "esx08"


def test_evacuated_hosts_are_read(inv: Inventory) -> None:
    doc = {"command": "evacuate", "placement": placement(inv), "evacuated": ["esx02"]}
    assert read_plan(json.dumps(doc), "p", inv).evacuated == (inv.host_index["esx02"],)


def test_not_json_gives_the_parsers_line_and_column(inv: Inventory) -> None:
    text = '{\n  "command": "pack",\n  placement: {}\n}\n'
    assert problems(text, inv) == [
        (
            3,
            3,
            "",
            "not valid JSON: Expecting property name enclosed in double quotes "
            "(expected the output of vmplan pack --format json)",
        )
    ]


def test_a_json_list_is_not_a_plan(inv: Inventory) -> None:
    assert problems("[1, 2]", inv) == [
        (1, 1, "", "expected a JSON object (a plan of vmplan pack or evacuate), got a list")
    ]


def plan_text(inv: Inventory, body: str, skip: tuple[str, ...] = ()) -> str:
    """A pretty-printed plan whose first lines are ``body`` (hand-written, for exact positions)."""
    rest = ",\n".join(f'    "{v.name}": "{v.host}"' for v in inv.vms if v.name not in skip)
    return '{\n  "command": "pack",\n  "placement": {\n' + body + rest + "\n  }\n}\n"


def test_unknown_names_are_reported_where_they_stand(inv: Inventory) -> None:
    body = '    "web1": "esx01",\n    "web02": "esx9",\n'
    text = plan_text(inv, body, skip=("web01", "web02"))
    assert problems(text, inv) == [
        (
            3,
            3,
            "placement",
            "missing VM(s) 'web01': a plan places every VM of the inventory "
            "(was it made from another inventory?)",
        ),
        (
            4,
            5,
            "placement.web1",
            "unknown VM 'web1' (did you mean 'web12'?); the inventory does not have it",
        ),
        (
            5,
            14,
            "placement.web02",
            "unknown host 'esx9' (did you mean 'esx08'?); the inventory does not have it",
        ),
    ]


def test_wrong_types_and_migrations(inv: Inventory) -> None:
    doc = {
        "command": "check",
        "feasible": "yes",
        "lower_bound": -1,
        "placement": placement(inv),
        "freed_hosts": ["esx01", 7],
        "migrations": [
            {"wave": 0, "vm": "web01", "from": "esx01", "to": "esx02", "seconds": -3},
            {"vm": "web02"},
            "web03",
            {"wave": 1, "vm": "nope", "from": "esx01", "to": "esx99", "seconds": 1},
        ],
        "evacuated": "esx01",
    }
    got = {(path, message) for _, _, path, message in problems(json.dumps(doc), inv)}
    assert got == {
        ("command", "expected 'pack' or 'evacuate', got 'check'"),
        ("feasible", "expected true or false, got 'yes'"),
        ("lower_bound", "expected a host count or null, got -1"),
        ("freed_hosts[1]", "expected a host name, got a number"),
        ("migrations[0].wave", "expected a wave number from 1, got 0"),
        ("migrations[0].seconds", "expected seconds >= 0, got -3"),
        ("migrations[1]", "missing key(s) wave, from, to"),
        ("migrations[2]", "expected an object with wave, vm, from, to, got a string 'web03'"),
        ("migrations[3].vm", "unknown VM 'nope'; the inventory does not have it"),
        (
            "migrations[3].to",
            "unknown host 'esx99' (did you mean 'esx08'?); the inventory does not have it",
        ),
        ("evacuated", "expected a list of host names, got a string 'esx01'"),
    }


def test_missing_placement_and_a_placement_that_is_not_an_object(inv: Inventory) -> None:
    assert problems('{"command": "pack"}', inv) == [
        (1, 1, "", "missing key 'placement' (the VM -> host map of the target placement)")
    ]
    assert problems('{"placement": ["web01"]}', inv) == [
        (1, 15, "placement", "expected an object of VM: host, got a list")
    ]


def test_many_missing_vms_are_summed_up(inv: Inventory) -> None:
    (row,) = problems('{"placement": {}}', inv)
    assert row[:3] == (1, 2, "placement")
    assert row[3].startswith(
        "missing VM(s) 'web01', 'web02', 'web03', 'web04', 'web05' and 53 more"
    )


def test_duplicate_keys_are_an_error(inv: Inventory) -> None:
    text = plan_text(inv, '    "web01": "esx02",\n')
    assert problems(text, inv) == [
        (
            text[: text.index('"web01": "esx01"')].count("\n") + 1,
            5,
            "placement.web01",
            "duplicate key 'web01': JSON readers disagree on which one wins",
        )
    ]


def test_deep_nesting_and_huge_numbers_end_in_a_problem(inv: Inventory) -> None:
    (row,) = problems("[" * 100_000 + "]" * 100_000, inv)
    assert row == (0, 0, "", "cannot read the plan: nested too deeply")
    # past Python's 4,300-digit limit on int conversions: still a problem at its position
    rows = problems('{"lower_bound": 1' + "0" * 5000 + "}", inv)
    assert (
        1,
        17,
        "lower_bound",
        "expected a host count or null, got an integer of 5,001 digits",
    ) in rows


def test_locate_finds_keys_and_values_by_path() -> None:
    text = '{"a": [1, {"b": "x\\"y"}], "c": null}'
    keys, values, duplicates = locate(text)
    assert keys == {("a",): 1, ("a", 1, "b"): 11, ("c",): 26}
    assert values == {(): 0, ("a",): 6, ("a", 0): 7, ("a", 1): 10, ("a", 1, "b"): 16, ("c",): 31}
    assert duplicates == []
    assert format_path(("migrations", 3, "to")) == "migrations[3].to"
