"""The number rules of the inventory format (vmplan.inventory.numbers) and numbers at the limits.

However long or large a number is written, in whatever numeric field of an inventory or a plan
file, it loads or it is an InputError with its position: never an OverflowError or another
exception (exit 70).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from vmplan.cli import app
from vmplan.inventory import load
from vmplan.inventory import yamlnodes as yn
from vmplan.inventory.jsonschema import inventory_schema
from vmplan.planfile import read_plan
from vmplan.problems import InputError

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

HEAD = "version: 1\nhosts: [{name: esx01, cpus: 32, memory: 512GiB}]\n"


def plain(text: str) -> object:
    return yn.plain_value(yn.Scalar(1, 1, None, 1, text, True, True))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e5", 100000.0),
        ("1.5e3", 1500.0),
        ("1.5E-1", 0.15),
        (".5", 0.5),
        ("5.", 5.0),
        ("+7", 7),
        ("007", 7),
        ("-.inf", -math.inf),
        (".Inf", math.inf),
        ("0x1F", "0x1F"),
        ("0o17", "0o17"),
        ("1_000", "1_000"),
        ("1:30", "1:30"),
        ("1e", "1e"),
        ("yes", True),
        ("Off", False),
        ("~", None),
    ],
)
def test_the_number_rules(text: str, value: object) -> None:
    got = plain(text)
    assert type(got) is type(value) and got == value


def test_an_integer_past_pythons_digit_limit_is_infinite_not_an_error() -> None:
    assert plain("9" * 5000) == math.inf
    assert plain("-" + "9" * 5000) == -math.inf
    assert plain("9" * 4300) == int("9" * 4300)


def test_exponents_with_and_without_a_point_are_both_numbers(write: object) -> None:
    path = write(  # type: ignore[operator]
        "inv.yaml",
        HEAD + "vms: [{name: web01, host: esx01, vcpus: 4, memory: 16GiB, cpu: [1e1, 1.5e1]}]\n",
    )
    inv = load([path]).inventory
    assert inv.demand.tolist() == [[0.4, 0.6]]


def one_problem(path: Path) -> tuple[int, int, str, str]:
    with pytest.raises(InputError) as info:
        load([path])
    (p,) = info.value.problems
    return (p.line, p.column, p.path, p.message)


BIG = "9" * 300
HUGE = "9" * 5000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"version: 1\nhosts: [{{name: esx01, cpus: 32, memory: {BIG}GiB}}]\n",
            (2, "9", "hosts[0].memory", "expected a size up to 1024TiB, got '" + "9" * 37 + "...'"),
        ),
        (
            f"version: 1\ninterval: {BIG}m\n" + HEAD[11:],
            (2, "9", "interval", "expected a duration up to 365d, got '" + "9" * 37 + "...'"),
        ),
        (
            "version: 1\ninterval: 366d\n" + HEAD[11:],
            (2, "366d", "interval", "expected a duration up to 365d, got '366d'"),
        ),
        (
            f"version: 1\nhosts: [{{name: esx01, cpus: {HUGE}, memory: 1GiB}}]\n",
            (2, "9", "hosts[0].cpus", "expected a number of cores up to 1,000,000, got inf"),
        ),
        (
            HEAD + f"vms: [{{name: web01, host: esx01, vcpus: {BIG}, memory: 1GiB}}]\n",
            (
                3,
                "9",
                "vms[0].vcpus",
                f"expected a whole number of vCPUs up to 1,000,000, got {'9' * 20}...(300 digits)",
            ),
        ),
        (
            HEAD + "vms: [{name: web01, host: esx01, vcpus: 1e30, memory: 1GiB}]\n",
            (
                3,
                "1e30",
                "vms[0].vcpus",
                "expected a whole number of vCPUs up to 1,000,000, got 1e+30",
            ),
        ),
        (
            HEAD
            + f"vms: [{{name: web01, host: esx01, vcpus: 1, memory: 1GiB, cpu: [1, {HUGE}]}}]\n",
            (
                3,
                "9",
                "vms[0].cpu[1]",
                "expected a number from 0 to 100 (% of the VM's vCPUs), got infinity",
            ),
        ),
        (
            HEAD
            + f"vms: [{{name: web01, host: esx01, vcpus: 1, memory: 1GiB, cpu: [1, {'9' * 400}]}}]\n",
            (
                3,
                "9",
                "vms[0].cpu[1]",
                f"expected a value from 0 to 100 (% of the VM's vCPUs), got {'9' * 20}...(400 digits)",
            ),
        ),
        (
            HEAD
            + f'vms: [{{name: web01, host: esx01, vcpus: 1, memory: 1GiB, cpu: "1 {HUGE}"}}]\n',
            (
                3,
                "9",
                "vms[0].cpu[1]",
                "expected a number from 0 to 100 (% of the VM's vCPUs), got infinity",
            ),
        ),
    ],
    ids=[
        "memory",
        "interval",
        "interval 366d",
        "cpus",
        "vcpus",
        "vcpus 1e30",
        "cpu",
        "cpu 400 digits",
        "cpu string",
    ],
)
def test_oversized_numbers_are_problems_at_their_place(
    tmp_path: Path, text: str, expected: tuple[int, str, str, str]
) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(text)
    line, needle, where, message = expected
    column = text.splitlines()[line - 1].index(needle) + 1
    assert one_problem(path) == (line, column, where, message)


def test_oversized_numbers_exit_2_from_the_cli(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(
        f"version: 1\ninterval: {BIG}m\nhosts: [{{name: esx01, cpus: {HUGE}, memory: {BIG}GiB}}]\n"
    )
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stdout.splitlines()[-1] == "invalid input: 3 error(s), 0 warning(s)"


# --- every numeric field at its limits: loads or InputError ------------------------------------

edge_numbers = st.one_of(
    st.sampled_from(["0", "-0", "1", "100", "101", "1e308", "1e309", "-1e309", ".inf", ".nan"]),
    st.integers(0, 6000).map(lambda n: "9" * max(n, 1)),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=False).map(repr),
    st.from_regex(r"\A[-+]?[0-9]{1,400}(\.[0-9]{0,5})?([eE][-+]?[0-9]{1,4})?\Z"),
)

FIELDS = {
    "version": "version: {n}\nhosts: [{{name: esx01, cpus: 32, memory: 512GiB}}]\n",
    "interval": "version: 1\ninterval: {n}m\nhosts: [{{name: esx01, cpus: 32, memory: 512GiB}}]\n",
    "limits": "version: 1\nlimits: {{cpu: {n}%}}\nhosts: [{{name: esx01, cpus: 32, memory: 1GiB}}]\n",
    "cpus": "version: 1\nhosts: [{{name: esx01, cpus: {n}, memory: 512GiB}}]\n",
    "memory": "version: 1\nhosts: [{{name: esx01, cpus: 32, memory: {n}GiB}}]\n",
    "vcpus": HEAD.replace("{", "{{").replace("}", "}}")
    + "vms: [{{name: web01, host: esx01, vcpus: {n}, memory: 1GiB, cpu: [1]}}]\n",
    "vm memory": HEAD.replace("{", "{{").replace("}", "}}")
    + "vms: [{{name: web01, host: esx01, vcpus: 1, memory: {n}KB, cpu: [1]}}]\n",
    "cpu list": HEAD.replace("{", "{{").replace("}", "}}")
    + "vms: [{{name: web01, host: esx01, vcpus: 1, memory: 1GiB, cpu: [1, {n}]}}]\n",
    "cpu string": HEAD.replace("{", "{{").replace("}", "}}")
    + 'vms: [{{name: web01, host: esx01, vcpus: 1, memory: 1GiB, cpu: "1 {n}"}}]\n',
    "csv cell": "version: 1\ncpu_series: cpu.csv\n"
    + HEAD[11:].replace("{", "{{").replace("}", "}}")
    + "vms: [{{name: web01, host: esx01, vcpus: 1, memory: 1GiB}}]\n",
    "name": HEAD.replace("{", "{{").replace("}", "}}")
    + "vms: [{{name: {n}, host: esx01, vcpus: 1, memory: 1GiB, cpu: [1]}}]\n",
}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("numbers")


@settings(max_examples=150)
@given(field=st.sampled_from(sorted(FIELDS)), n=edge_numbers)
def test_numbers_at_the_limits_of_every_inventory_field_load_or_report(
    scratch: Path, field: str, n: str
) -> None:
    (scratch / "cpu.csv").write_text(f"timestamp,web01\n0,1\n1,{n}\n")
    path = scratch / "inv.yaml"
    path.write_text(FIELDS[field].format(n=n))
    try:
        load([path])
    except InputError as exc:
        assert exc.problems and all(p.line >= 1 for p in exc.problems), exc.problems


PLAN_FIELDS = ("wave", "seconds", "lower_bound")


@pytest.fixture(scope="module")
def inv_and_plan() -> tuple[object, dict[str, object]]:
    inv = load([ROOT / "samples" / "seed.yaml"]).inventory
    plan = {
        "command": "pack",
        "placement": {v.name: inv.hosts[1].name for v in inv.vms},
        "migrations": [
            {"wave": 1, "vm": inv.vms[0].name, "from": inv.hosts[0].name, "to": inv.hosts[1].name}
        ],
    }
    return inv, plan


@settings(max_examples=100)
@given(field=st.sampled_from(PLAN_FIELDS), n=edge_numbers)
def test_numbers_at_the_limits_of_every_plan_field_read_or_report(
    inv_and_plan: tuple[object, dict[str, object]], field: str, n: str
) -> None:
    inv, plan = inv_and_plan
    if n.startswith((".", "+")) or (n.lstrip("-").startswith(("0", ".")) and n not in ("0", "-0")):
        n = "1" + n.lstrip("+-.")  # JSON has no '.5', '+1' or '007'
    if not n[-1].isdigit():
        n += "0"
    base = json.dumps(plan)
    if field == "lower_bound":
        text = base[:-1] + f', "lower_bound": {n}}}'
    else:
        text = base.replace(
            '"wave": 1', f'"wave": 1, "{field}": {n}' if field != "wave" else f'"wave": {n}'
        )
    try:
        json.loads(text)
    except ValueError:
        return  # not JSON at all: the plan reader's syntax errors are tested elsewhere
    try:
        read_plan(text, "plan.json", inv)  # type: ignore[arg-type]
    except InputError as exc:
        assert exc.problems and all(p.line >= 1 for p in exc.problems), exc.problems


def test_a_wave_of_1e30_is_a_problem_at_its_place(
    inv_and_plan: tuple[object, dict[str, object]],
) -> None:
    inv, plan = inv_and_plan
    for wave, message in [
        ("1e30", "expected a wave number from 1, got 1e+30"),
        (
            "1" + "0" * 30,
            f"expected a wave number up to 1 (the number of migrations), got 1{'0' * 30}",
        ),
    ]:
        text = json.dumps(plan).replace('"wave": 1', f'"wave": {wave}')
        with pytest.raises(InputError) as info:
            read_plan(text, "plan.json", inv)  # type: ignore[arg-type]
        assert [(p.path, p.message) for p in info.value.problems] == [
            ("migrations[0].wave", message)
        ]


# --- the JSON Schema describes what the loader reads ----------------------------------------


def as_json(node: yn.Node | None) -> object:
    """A YAML node tree as JSON values, typed by the loader's own rules."""
    if isinstance(node, yn.Mapping):
        return {str(as_json(k)): as_json(v) for k, v in node.items}
    if isinstance(node, yn.Sequence):
        return [as_json(item) for item in node.items]
    assert isinstance(node, yn.Scalar)
    return yn.plain_value(node)


INVENTORIES = sorted([*ROOT.glob("samples/**/*.yaml"), *(TESTS / "data" / "good").glob("*.yaml")])


@pytest.mark.parametrize("path", INVENTORIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_sample_and_good_inventory_validates_against_the_json_schema(path: Path) -> None:
    together = {"vms.yaml": ["hosts.yaml"]}.get(path.name, [])  # a file that merges with others
    load([*(path.parent / name for name in together), path])  # the loader reads it...
    instance = as_json(yn.compose(path.read_text(encoding="utf-8")))
    jsonschema.validate(instance, inventory_schema())  # ... and the schema agrees


@pytest.mark.parametrize("interval", [".5h", "5m", "20s", "1.5h", "1d", " 5 m "])
def test_the_schema_accepts_every_interval_the_loader_accepts(write: object, interval: str) -> None:
    path = write("inv.yaml", f'version: 1\ninterval: "{interval}"\n' + HEAD[11:])  # type: ignore[operator]
    assert load([path]).inventory.interval_s > 0
    jsonschema.validate({"version": 1, "interval": interval}, inventory_schema())


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (
            "parse_size",
            "9" * 400 + "GiB",
            "expected a size up to 1024TiB, got '" + "9" * 37 + "...'",
        ),
        (
            "parse_duration",
            "9" * 400 + "s",
            "expected a duration up to 365d, got '" + "9" * 37 + "...'",
        ),
        (
            "parse_bandwidth",
            "9" * 400 + "Gbit/s",
            "expected a bandwidth up to 1000GB/s, got '" + "9" * 37 + "...'",
        ),
        (
            "parse_percent",
            "9" * 400 + "%",
            "expected a percentage above 0% and at most 100%, got '" + "9" * 37 + "...'",
        ),
    ],
)
def test_every_unit_parser_refuses_a_number_past_its_bound(
    parse: str, text: str, message: str
) -> None:
    from vmplan import units

    with pytest.raises(ValueError) as info:
        getattr(units, parse)(text)
    assert str(info.value) == message
