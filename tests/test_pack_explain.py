"""Plans that explain themselves: a migration budget that frees nothing, a search the time limit
cut, and pack's reasons for an infeasible VM with the numbers evacuate gives."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from vmplan.cli import app

SAMPLE = "samples/inventory.yaml"


def _six_and_six(tmp_path: Path) -> Path:
    """Two hosts of six VMs each and a large host of seven with room for all: freeing a small
    host takes six migrations, both twelve."""
    vms = "".join(
        f"  - {{name: v{h}{k}, host: h{h}, vcpus: 1, memory: 4GiB, cpu: [50, 50]}}\n"
        for h in (0, 1)
        for k in range(6)
    )
    path = tmp_path / "inv.yaml"
    path.write_text(
        "version: 1\ninterval: 5m\nhosts:\n"
        "  - {name: h0, cpus: 8, memory: 64GiB}\n"
        "  - {name: h1, cpus: 8, memory: 64GiB}\n"
        "  - {name: big, cpus: 64, memory: 512GiB}\n"
        "vms:\n"
        + vms
        + "".join(
            f"  - {{name: w{k}, host: big, vcpus: 1, memory: 4GiB, cpu: [50, 50]}}\n"
            for k in range(7)
        ),
        encoding="utf-8",
    )
    return path


def test_a_budget_that_frees_no_host_says_what_the_first_host_needs(tmp_path: Path) -> None:
    inv = _six_and_six(tmp_path)
    result = CliRunner().invoke(app, ["pack", str(inv), "-f", "text", "--max-migrations", "5"])
    assert result.exit_code == 0, result.output
    assert "Plan: 3 -> 3 hosts (0 freed)" in result.stdout
    assert (
        "note: no host can be freed within --max-migrations 5: freeing the first host needs "
        "6 migrations\n" in result.stdout
    )
    data = json.loads(
        CliRunner().invoke(app, ["pack", str(inv), "-f", "json", "--max-migrations", "5"]).stdout
    )
    assert data["notes"] == [
        "no host can be freed within --max-migrations 5: freeing the first host needs 6 migrations"
    ]


def test_a_budget_that_frees_some_hosts_says_what_one_more_needs(tmp_path: Path) -> None:
    inv = _six_and_six(tmp_path)
    result = CliRunner().invoke(
        app, ["pack", str(inv), "-f", "text", "--max-migrations", "6", "--spare", "0"]
    )
    assert "Plan: 3 -> 2 hosts (1 freed)" in result.stdout
    assert (
        "note: 1 host freed within --max-migrations 6: freeing one more needs 12 migrations\n"
        in result.stdout
    )


def test_without_a_budget_there_is_no_note(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["pack", str(_six_and_six(tmp_path)), "-f", "json", "--spare", "0"]
    )
    data = json.loads(result.stdout)
    assert data["hosts_used"] == 1
    assert "notes" not in data
    assert data["search"] == "finished"


def test_a_search_cut_by_the_time_limit_says_so() -> None:
    result = CliRunner().invoke(app, ["pack", SAMPLE, "-f", "json", "--time-limit", "0"])
    data = json.loads(result.stdout)
    assert data["hosts_used"] > data["lower_bound"]  # the first-fit pass alone
    assert data["search"] == "cut by the time limit"
    assert data["notes"] == [
        "the search was cut by --time-limit 0s before it finished: a longer limit may find a "
        "plan with fewer hosts or migrations"
    ]
    text = CliRunner().invoke(app, ["pack", SAMPLE, "-f", "text", "--time-limit", "0"]).stdout
    assert text.endswith(
        "note: the search was cut by --time-limit 0s before it finished: a longer limit may "
        "find a plan with fewer hosts or migrations\n"
    )
