"""``vmplan apply``: the inventory after a plan, with only the moved VMs' ``host:`` values changed.

Plans come from the real planners on the samples (and are then checked by ``vmplan check``), and
from hand-written plans on inventories written in every YAML style the loader accepts.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.clirun import run
from vmplan.apply import apply_plan
from vmplan.apply.yamledit import scalar_text
from vmplan.inventory import load
from vmplan.planmatch import read_matching_plan

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """(removed, added) line pairs; the diff must be line for line."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def test_pack_plan_changes_exactly_the_moved_host_lines(cli: CliRunner) -> None:
    shutil.copy(SAMPLES / "inventory.yaml", "inventory.yaml")
    run(cli, "pack", "inventory.yaml", "--spare", "0", "-f", "json", "-o", "plan.json")
    run(cli, "apply", "plan.json", "inventory.yaml", "-o", "after.yaml")
    plan = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    before = Path("inventory.yaml").read_text(encoding="utf-8")
    after = Path("after.yaml").read_text(encoding="utf-8")
    inv = load(["inventory.yaml"]).inventory
    moved = {
        vm.name: plan["placement"][vm.name]
        for vm in inv.vms
        if plan["placement"][vm.name] != vm.host
    }
    pairs = changed_lines(before, after)
    assert len(pairs) == len(moved) > 0
    lines = before.splitlines(keepends=True)
    for vm, host in moved.items():
        line = inv.vms[inv.vm_index[vm]].where.line  # the name line; host: is the next one
        old = lines[line]
        assert old.strip().startswith("host: ")
        assert (old, old.replace(old.split("host: ")[1].split()[0], host)) in pairs
    run(cli, "check", "after.yaml")
    assert "0 migrations" in run(cli, "pack", "after.yaml", "--spare", "0", "-f", "text")


def test_evacuate_plan_with_mark_freed_then_check_passes(cli: CliRunner) -> None:
    shutil.copy(SAMPLES / "inventory.yaml", "inventory.yaml")
    run(cli, "evacuate", "esx03", "-i", "inventory.yaml", "-f", "json", "-o", "plan.json")
    out = run(
        cli, "apply", "plan.json", "inventory.yaml", "--in-place", "--mark-freed", "maintenance"
    )
    assert "inventory.yaml: 8 VM(s) moved, 1 host(s) marked maintenance" in out
    after = Path("inventory.yaml").read_text(encoding="utf-8")
    before = (SAMPLES / "inventory.yaml").read_text(encoding="utf-8")
    pairs = changed_lines(before, after)
    assert pairs[0] == (
        "  - {name: esx03, cpus: 32, memory: 384GiB}\n",
        "  - {name: esx03, cpus: 32, memory: 384GiB, maintenance: true}\n",
    )
    assert all(old.strip().startswith("host: esx03") for old, _ in pairs[1:])
    run(cli, "check", "inventory.yaml")
    assert "nothing to move, already empty" in run(cli, "evacuate", "esx03", "-f", "text")


STYLES = """\
# hosts in block style, with comments
version: 1
hosts:
  - name: a   # first
    cpus: 8
    memory: 64GiB
  - name: "b b"
    cpus: 8
    memory: 64GiB
    maintenance: false
  - {name: 'c''s', cpus: 8, memory: 64GiB}
vms:
  - {name: v1, host: a, vcpus: 1, memory: 1GiB, cpu: "1 2"}    # flow, plain
  - {name: v2, host: "a", vcpus: 1, memory: 1GiB, cpu: "1 2"}  # flow, double-quoted
  - name: v3
    host: 'a'          # block, single-quoted
    vcpus: 1
    memory: 1GiB
    cpu: [1, 2]
  - name: v4
    host:   a   # block, plain, odd spacing
    vcpus: 1
    memory: 1GiB
    cpu: "1 2"
  - {name: "ü 5", host: "b b", vcpus: 1, memory: 1GiB, cpu: "1 2"}
"""


def styles_plan(moves: dict[str, tuple[str, str]], vms: list[tuple[str, str]]) -> str:
    placement = {vm: moves.get(vm, (host, host))[1] for vm, host in vms}
    migrations = [
        {"wave": 1, "vm": vm, "from": a, "to": b, "seconds": 3.0} for vm, (a, b) in moves.items()
    ]
    return json.dumps({"command": "pack", "placement": placement, "migrations": migrations})


VMS = [("v1", "a"), ("v2", "a"), ("v3", "a"), ("v4", "a"), ("ü 5", "b b")]


def applied(tmp_path: Path, text: str, plan: str, mark: bool = False) -> str:
    path = tmp_path / "inv.yaml"
    path.write_bytes(text.encode("utf-8"))
    inv = load([path]).inventory
    parsed = read_matching_plan(plan, "plan.json", inv)
    (change,) = apply_plan([(str(path), text)], parsed, inv, mark)
    path.write_bytes(change.after.encode("utf-8"))
    load([path])  # still a valid inventory
    return change.after


def test_every_scalar_style_keeps_its_style(tmp_path: Path) -> None:
    moves = {vm: ("a" if host == "a" else "b b", "c's" if host == "a" else "a") for vm, host in VMS}
    after = applied(tmp_path, STYLES, styles_plan(moves, VMS))
    pairs = changed_lines(STYLES, after)
    assert pairs == [
        (
            '  - {name: v1, host: a, vcpus: 1, memory: 1GiB, cpu: "1 2"}    # flow, plain\n',
            '  - {name: v1, host: "c\'s", vcpus: 1, memory: 1GiB, cpu: "1 2"}    # flow, plain\n',
        ),
        (
            '  - {name: v2, host: "a", vcpus: 1, memory: 1GiB, cpu: "1 2"}  # flow, double-quoted\n',
            '  - {name: v2, host: "c\'s", vcpus: 1, memory: 1GiB, cpu: "1 2"}  # flow, double-quoted\n',
        ),
        (
            "    host: 'a'          # block, single-quoted\n",
            "    host: 'c''s'          # block, single-quoted\n",
        ),
        (
            "    host:   a   # block, plain, odd spacing\n",
            '    host:   "c\'s"   # block, plain, odd spacing\n',
        ),
        (
            '  - {name: "ü 5", host: "b b", vcpus: 1, memory: 1GiB, cpu: "1 2"}\n',
            '  - {name: "ü 5", host: "a", vcpus: 1, memory: 1GiB, cpu: "1 2"}\n',
        ),
    ]


def test_mark_freed_adds_or_sets_maintenance_in_block_and_flow_style(tmp_path: Path) -> None:
    text = STYLES.replace("  - {name: 'c''s', cpus: 8, memory: 64GiB}\n", "")
    text += "  - {name: w, host: 'c''s', vcpus: 1, memory: 1GiB, cpu: \"1 2\"}\n"
    text = text.replace("vms:\n", "  - {name: 'c''s', cpus: 8, memory: 64GiB}\nvms:\n")
    vms = [*VMS, ("w", "c's")]
    moves = {"v1": ("a", "b b"), "v2": ("a", "b b"), "v3": ("a", "b b"), "v4": ("a", "b b")}
    moves |= {"ü 5": ("b b", "c's"), "w": ("c's", "c's")}
    del moves["w"]
    after = applied(tmp_path, text, styles_plan(moves, vms), mark=True)
    assert "  - name: a   # first\n    maintenance: true\n    cpus: 8\n" in after
    assert "    maintenance: false\n" in after  # b b still holds VMs: not freed
    assert after.count("maintenance: true") == 1


def test_mark_freed_sets_an_existing_maintenance_key(tmp_path: Path) -> None:
    moves = {"ü 5": ("b b", "a")}
    after = applied(tmp_path, STYLES, styles_plan(moves, VMS), mark=True)
    pairs = changed_lines(STYLES, after)
    assert ("    maintenance: false\n", "    maintenance: true\n") in pairs
    assert len(pairs) == 2


def test_crlf_and_byte_order_mark_survive(tmp_path: Path) -> None:
    text = "\ufeff" + STYLES.replace("\n", "\r\n")
    moves = {"v4": ("a", "b b")}
    after = applied(tmp_path, text, styles_plan(moves, VMS), mark=False)
    assert after.startswith("\ufeff# hosts")
    assert after == text.replace("    host:   a   #", '    host:   "b b"   #')


def test_scalar_text_never_changes_what_a_value_reads_as() -> None:
    import yaml

    for value in [
        "esx01",
        "123",
        "true",
        "null",
        "1e3",
        "0x1f",
        "a: b",
        "-x",
        "a\nb",
        "é\u2028",
        "'q'",
    ]:
        for style in (None, "", "'", '"'):
            written = scalar_text(value, style)
            assert yaml.safe_load(f"k: {written}") == {"k": value}, (value, style, written)
    assert scalar_text("esx01", "") == "esx01"
    assert scalar_text("123", "") == '"123"'


def test_split_inventory_in_place_and_with_o(cli: CliRunner) -> None:
    Path("hosts.yaml").write_text(
        "version: 1\nhosts:\n  - {name: h1, cpus: 8, memory: 64GiB}\n"
        "  - {name: h2, cpus: 8, memory: 64GiB}\n",
        encoding="utf-8",
    )
    Path("vms.yaml").write_text(
        textwrap.dedent(
            """\
            version: 1
            vms:
              - {name: v1, host: h1, vcpus: 1, memory: 1GiB, cpu: "1 2"}
              - {name: v2, host: h2, vcpus: 1, memory: 1GiB, cpu: "1 2"}
            """
        ),
        encoding="utf-8",
    )
    plan = {
        "placement": {"v1": "h2", "v2": "h2"},
        "migrations": [{"wave": 1, "vm": "v1", "from": "h1", "to": "h2"}],
    }
    Path("plan.json").write_text(json.dumps(plan), encoding="utf-8")
    out = run(cli, "apply", "plan.json", "hosts.yaml", "vms.yaml")
    assert "- {name: v1, host: h2," in out
    out = run(
        cli, "apply", "plan.json", "hosts.yaml", "vms.yaml", "--mark-freed", "maintenance", code=2
    )
    assert "the plan changes 2 files (hosts.yaml, vms.yaml): use --in-place" in out
    run(
        cli,
        "apply",
        "plan.json",
        "hosts.yaml",
        "vms.yaml",
        "--in-place",
        "--mark-freed",
        "maintenance",
    )
    assert "{name: h1, cpus: 8, memory: 64GiB, maintenance: true}" in Path("hosts.yaml").read_text(
        encoding="utf-8"
    )
    assert "{name: v1, host: h2," in Path("vms.yaml").read_text(encoding="utf-8")
    run(cli, "check", "hosts.yaml", "vms.yaml")


def test_in_place_never_writes_through_a_symlink(cli: CliRunner) -> None:
    shutil.copy(SAMPLES / "seed.yaml", "real.yaml")
    os.symlink("real.yaml", "link.yaml")
    run(cli, "pack", "link.yaml", "--spare", "0", "-f", "json", "-o", "plan.json")
    before = Path("real.yaml").read_bytes()
    out = run(cli, "apply", "plan.json", "link.yaml", "--in-place", code=2)
    assert "link.yaml is a symlink to real.yaml: --in-place never writes through one" in out
    assert Path("real.yaml").read_bytes() == before
    assert Path("link.yaml").is_symlink()


def test_in_place_keeps_the_file_mode(cli: CliRunner) -> None:
    shutil.copy(SAMPLES / "seed.yaml", "seed.yaml")
    os.chmod("seed.yaml", 0o640)
    run(cli, "pack", "seed.yaml", "-f", "json", "-o", "plan.json")
    run(cli, "apply", "plan.json", "seed.yaml", "--in-place")
    assert os.stat("seed.yaml").st_mode & 0o777 == 0o640
    assert "host: host-b" in Path("seed.yaml").read_text(encoding="utf-8")
    assert sorted(os.listdir(".")) == ["plan.json", "seed.yaml"]  # no temporary file left


@pytest.mark.parametrize("target", ["plan.json", "seed.yaml"])
def test_o_never_replaces_an_input(cli: CliRunner, target: str) -> None:
    shutil.copy(SAMPLES / "seed.yaml", "seed.yaml")
    run(cli, "pack", "seed.yaml", "--spare", "0", "-f", "json", "-o", "plan.json")
    before = Path(target).read_bytes()
    out = run(cli, "apply", "plan.json", "seed.yaml", "-o", target, code=2)
    assert f"refusing to write {target}: it is the input" in out
    assert Path(target).read_bytes() == before


def test_a_plan_of_another_inventory_is_refused(cli: CliRunner) -> None:
    shutil.copy(SAMPLES / "seed.yaml", "seed.yaml")
    run(cli, "pack", "seed.yaml", "--spare", "0", "-f", "json", "-o", "plan.json")
    moved = Path("seed.yaml").read_text(encoding="utf-8").replace("host: host-a", "host: host-b")
    Path("seed.yaml").write_text(moved, encoding="utf-8")
    out = run(cli, "apply", "plan.json", "seed.yaml", code=2)
    assert (
        "plan.json:19:15: error: migrations[0].from: 'server-a' starts from host-a, but the "
        "inventory has it on host-b (seed.yaml:12): the plan was made from another inventory, "
        "or the VM moved since"
    ) in " ".join(out.split())
    out = run(cli, "apply", "plan.json", str(SAMPLES / "inventory.yaml"), code=2)
    assert "unknown VM 'server-a'" in out


def test_choose_o_or_in_place(cli: CliRunner) -> None:
    shutil.copy(SAMPLES / "seed.yaml", "seed.yaml")
    run(cli, "pack", "seed.yaml", "--spare", "0", "-f", "json", "-o", "plan.json")
    out = run(cli, "apply", "plan.json", "seed.yaml", "-o", "x.yaml", "--in-place", code=2)
    assert "choose -o FILE or --in-place, not both" in out


def test_a_host_written_with_an_anchor_is_left_to_the_user(cli: CliRunner) -> None:
    Path("inv.yaml").write_text(
        "version: 1\nhosts:\n  - {name: h1, cpus: 8, memory: 64GiB}\n"
        "  - {name: h2, cpus: 8, memory: 64GiB}\nvms:\n"
        '  - {name: a, host: &h h1, vcpus: 1, memory: 1GiB, cpu: "1"}\n'
        '  - {name: b, host: *h, vcpus: 1, memory: 1GiB, cpu: "1"}\n',
        encoding="utf-8",
    )
    plan = {
        "placement": {"a": "h2", "b": "h1"},
        "migrations": [{"wave": 1, "vm": "a", "from": "h1", "to": "h2"}],
    }
    Path("plan.json").write_text(json.dumps(plan), encoding="utf-8")
    out = run(cli, "apply", "plan.json", "inv.yaml", code=2)
    assert (
        "inv.yaml:6:12: error: vms[0].host: the host of 'a' is written once for several places "
        "(a YAML anchor and alias): edit it by hand"
    ) in " ".join(out.split())
