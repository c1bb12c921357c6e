"""`vmplan pack` through the CLI: every format and exit code, atomic output, the frontier."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from vmplan.cli import app

SEED = str(Path(__file__).resolve().parent.parent / "samples" / "seed.yaml")


def test_json_plan_follows_the_contract(runner: CliRunner) -> None:
    result = runner.invoke(app, ["pack", SEED, "--spare", "0", "--format", "json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    for key in ("command", "feasible", "hosts_used", "lower_bound", "optimal", "placement"):
        assert key in plan
    assert plan["command"] == "pack" and plan["feasible"] is True
    assert plan["hosts_used"] == 1 and plan["lower_bound"] == 1 and plan["optimal"] is True
    assert set(plan["placement"]) == {"server-a", "server-b"}
    assert len(plan["freed_hosts"]) == 1
    (move,) = plan["migrations"]
    assert set(move) >= {"wave", "vm", "from", "to", "seconds"}
    assert move["wave"] == 1 and move["to"] != move["from"] and move["seconds"] > 0
    used = [h for h in plan["hosts"] if h["vms"]]
    assert used[0]["cpu_peak"] <= 1.0 and used[0]["cpu_peak_at"].endswith("Z")


def test_yaml_and_text_formats(runner: CliRunner) -> None:
    as_yaml = runner.invoke(app, ["pack", SEED, "--spare", "0", "--format", "yaml"])
    assert as_yaml.exit_code == 0
    assert yaml.safe_load(as_yaml.stdout)["hosts_used"] == 1
    text = runner.invoke(app, ["pack", SEED, "--spare", "0", "--format", "text", "--frontier"])
    assert text.exit_code == 0
    assert "\x1b[" not in text.stdout
    assert "frontier: 1 host, 1 migration" in text.stdout.splitlines()
    assert "━" not in text.stdout and "│" not in text.stdout
    assert (
        text.stdout.rstrip()
        .splitlines()[-1]
        .startswith(
            "Plan: 2 -> 1 hosts (1 freed), lower bound 1, optimal for the sized series, "
            "1 migration in 1 wave, about "
        )
    )


def test_output_file_is_written_whole_and_nothing_else(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["pack", SEED, "-f", "json", "-o", str(out)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text())["command"] == "pack"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_no_feasible_plan_exits_1_and_names_the_vm(runner: CliRunner, write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "tight.yaml",
        """
        version: 1
        hosts:
          - {name: h1, cpus: 4, memory: 8GiB}
        vms:
          - {name: big, host: h1, vcpus: 4, memory: 4GiB, cpu: "90 90"}
        """,
    )
    result = runner.invoke(app, ["pack", str(path), "-f", "json", "--cpu-limit", "50%"])
    assert result.exit_code == 1
    plan = json.loads(result.stdout)
    assert plan["feasible"] is False
    assert plan["unplaced"][0]["vm"] == "big"
    assert plan["unplaced"][0]["reasons"] == [
        "a CPU peak of 3.6 cores at +0h00m, above every host's CPU limit "
        "(the most: 2.0 cores on h1 at 50%)"
    ]


def test_invalid_input_and_usage_exit_2(runner: CliRunner, write) -> None:  # type: ignore[no-untyped-def]
    bad = write("bad.yaml", "version: 1\nhosts:\n  - {name: h1, cpus: many, memory: 8GiB}\n")
    result = runner.invoke(app, ["pack", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml:3:22: error: hosts[0].cpus: expected a number of cores, got 'many'" in (
        result.output
    )
    usage = runner.invoke(app, ["pack", SEED, "--cpu-limit", "80"])
    assert usage.exit_code == 2
    assert "expected a percentage like '80%'" in usage.output


def test_migration_budget_zero_keeps_everything_in_place(runner: CliRunner) -> None:
    result = runner.invoke(app, ["pack", SEED, "-f", "json", "--max-migrations", "0"])
    assert result.exit_code == 0
    plan = json.loads(result.stdout)
    assert plan["migrations"] == [] and plan["hosts_used"] == 2
