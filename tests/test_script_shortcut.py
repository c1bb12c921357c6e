"""``vmplan pack|evacuate ... --script TOOL``: the same script ``vmplan script`` writes from the
plan the same command writes with ``-f json`` (issue 13), but for the command line in the header."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.clirun import run
from vmplan.cli import app

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def split_header(path: str) -> tuple[list[str], str]:
    """The script's lines but the command line, and the command line."""
    lines = Path(path).read_text(encoding="utf-8").splitlines(keepends=True)
    made = [line for line in lines if line.startswith("# Made with: ")]
    assert len(made) == 1
    return [line for line in lines if line not in made], made[0]


@pytest.mark.parametrize("tool", ["govc", "powercli", "virsh", "openstack"])
def test_pack_script_is_the_script_of_its_plan(cli: CliRunner, tool: str) -> None:
    shutil.copy(SAMPLES / "seed.yaml", "seed.yaml")
    pack = ["pack", "seed.yaml", "--spare", "0", "--risk", "none"]
    run(cli, *pack, "-f", "json", "-o", "plan.json")
    run(cli, "script", "plan.json", "--for", tool, "-i", "seed.yaml", "-o", "a.sh")
    run(cli, *pack, "--script", tool, "-o", "b.sh")
    body_a, made_a = split_header("a.sh")
    body_b, made_b = split_header("b.sh")
    assert body_a == body_b
    assert "migrate" in "".join(body_b).lower() or "Move-VM" in "".join(body_b)
    assert made_a == f"# Made with: vmplan script plan.json --for {tool} -i seed.yaml -o a.sh\n"
    assert made_b == (
        f"# Made with: vmplan pack seed.yaml --spare 0 --risk none --script {tool} -o b.sh\n"
    )
    assert os.access("b.sh", os.X_OK)


def test_evacuate_script_is_the_script_of_its_plan(cli: CliRunner) -> None:
    shutil.copy(SAMPLES / "inventory.yaml", "inventory.yaml")
    evac = ["evacuate", "esx03", "-i", "inventory.yaml", "--size", "p95"]
    run(cli, *evac, "-f", "json", "-o", "plan.json")
    run(cli, "script", "plan.json", "--for", "virsh", "-i", "inventory.yaml", "-o", "a.sh")
    run(cli, *evac, "--script", "virsh", "-o", "b.sh")
    assert split_header("a.sh")[0] == split_header("b.sh")[0]
    assert "lic01" in Path("b.sh").read_text(encoding="utf-8")


def test_no_feasible_plan_writes_no_script(cli: CliRunner) -> None:
    Path("one.yaml").write_text(
        "version: 1\nhosts:\n  - {name: a, cpus: 8, memory: 64GiB}\n"
        "vms:\n  - {name: v, host: a, vcpus: 2, memory: 4GiB, cpu: [10, 20, 30, 40]}\n",
        encoding="utf-8",
    )
    result = cli.invoke(
        app, ["pack", "one.yaml", "--risk", "none", "--script", "govc", "-o", "x.sh"]
    )
    assert result.exit_code == 1
    assert "no script written" in result.output
    assert not Path("x.sh").exists()
