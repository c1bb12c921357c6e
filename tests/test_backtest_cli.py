"""`vmplan backtest` and the sizing options of `vmplan pack` through the CLI: exit codes, the JSON
contract, and a plan packed on three real PlanetLab days replayed on the next."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vmplan.cli import app

DAYS = Path(__file__).resolve().parent.parent / "samples" / "planetlab-days"
SEED = str(Path(__file__).resolve().parent.parent / "samples" / "seed.yaml")

LATER = """
version: 1
interval: 5m
start: 2026-11-09T00:00:00Z
limits: {cpu: 50%}
hosts:
  - {name: h1, cpus: 4, memory: 64GiB}
  - {name: h2, cpus: 8, memory: 64GiB}
  - {name: h3, cpus: 8, memory: 64GiB}
vms:
  - {name: a, host: h1, vcpus: 1, memory: 4GiB, cpu: "100 50 100 20"}
  - {name: b, host: h2, vcpus: 4, memory: 4GiB, cpu: "25 50 85 45"}
  - {name: c, host: h3, vcpus: 4, memory: 4GiB, cpu: "10 10 10 10"}
"""


@pytest.fixture
def later(write) -> Path:  # type: ignore[no-untyped-def]
    return write("later.yaml", LATER)  # type: ignore[no-any-return]


def test_backtest_matches_a_replay_computed_by_hand(runner: CliRunner, write, later) -> None:  # type: ignore[no-untyped-def]
    # a and b on h1 (2 cores at 50%): 1.0+1.0, 0.5+2.0, 1.0+3.4, 0.2+1.8 cores; c is not named by
    # the plan and stays on h3; "gone" is not in the inventory (a warning)
    plan = write(
        "plan.json", '{"command": "pack", "placement": {"a": "h1", "b": "h1", "gone": "h2"}}'
    )
    result = runner.invoke(app, ["backtest", str(later), "--plan", str(plan), "-f", "json"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["command"] == "backtest" and doc["samples"] == 4
    assert doc["samples_over_limit"] == 2 and doc["samples_over_full"] == 1
    assert doc["time_over_limit"] == 0.25 and doc["worst"] == 1.1
    h1, h3 = doc["hosts"]
    assert h1 == h1 | {
        "name": "h1",
        "samples_over_limit": 2,
        "samples_over_full": 1,
        "time_over_limit": 0.5,
        "worst": 1.1,
        "worst_at": "2026-11-09T00:10:00Z",
    }
    assert h3["name"] == "h3" and h3["samples_over_limit"] == 0 and h3["worst"] == 0.05
    assert doc["warnings"] == [
        f"{plan}:1:57: warning: placement.gone: VM 'gone' is not in the inventory: ignored"
    ]
    assert "placement.gone: VM 'gone' is not in the inventory" in result.stderr


def test_backtest_of_a_plan_that_holds_exits_0_with_a_summary(
    runner: CliRunner, write, later
) -> None:  # type: ignore[no-untyped-def]
    plan = write("plan.json", '{"placement": {"a": "h2", "b": "h3", "c": "h3"}}')
    result = runner.invoke(app, ["backtest", str(later), "--plan", str(plan), "-f", "text"])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().splitlines()[-1] == (
        "Backtest: 2 hosts x 4 samples: 0 over the CPU limit (0.000% of host-time), "
        "0 over 100% of cores, worst 48% of cores"
    )
    assert "host h2: 1 VMs, 0 samples over the CPU limit" in result.stdout
    assert "\x1b[" not in result.stdout and "│" not in result.stdout
    table = runner.invoke(app, ["backtest", str(later), "--plan", str(plan), "-f", "table"])
    assert "Replay per host" in table.stdout


def test_backtest_invalid_plan_exits_2_with_the_position(runner: CliRunner, write, later) -> None:  # type: ignore[no-untyped-def]
    plan = write("plan.json", '{\n  "placement": {"a": "h9"}\n}\n')
    result = runner.invoke(app, ["backtest", str(later), "--plan", str(plan)])
    assert result.exit_code == 2
    assert f"{plan}:2:22: error: placement.a: unknown host 'h9'" in result.output
    broken = write("broken.json", '{"placement": ')
    result = runner.invoke(app, ["backtest", str(later), "--plan", str(broken), "-f", "json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["status"] == "invalid"
    missing = runner.invoke(app, ["backtest", str(later), "--plan", str(plan.parent / "no.json")])
    assert missing.exit_code == 2 and "cannot read the plan" in missing.output
    usage = runner.invoke(app, ["backtest", str(later)])
    assert usage.exit_code == 2


def test_backtest_output_never_replaces_an_input(runner: CliRunner, write, later) -> None:  # type: ignore[no-untyped-def]
    text = '{"placement": {"a": "h3"}}'
    plan = write("plan.json", text)
    for target in (plan, later):
        before = target.read_text()
        args = ["backtest", str(later), "--plan", str(plan), "-o", str(target)]
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "refusing to write" in result.output
        assert target.read_text() == before
    csv = write("cpu.csv", "timestamp,a\n2026-11-09T00:00:00Z,10\n2026-11-09T00:05:00Z,20\n")
    with_csv = write(
        "csv.yaml",
        """
        version: 1
        interval: 5m
        cpu_series: cpu.csv
        hosts: [{name: h1, cpus: 4, memory: 8GiB}]
        vms: [{name: a, host: h1, vcpus: 1, memory: 1GiB}]
        """,
    )
    plan_h1 = write("plan-h1.json", '{"placement": {"a": "h1"}}')
    args = ["backtest", str(with_csv), "--plan", str(plan_h1), "-o", str(csv)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "refusing to write" in result.output
    assert csv.read_text().startswith("timestamp,a\n")
    out = plan.parent / "replay.json"
    result = runner.invoke(
        app, ["backtest", str(later), "--plan", str(plan), "-f", "json", "-o", str(out)]
    )
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["samples"] == 4


def test_pack_on_three_real_days_then_backtest_on_the_next(
    runner: CliRunner, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.json"
    args = ["pack", str(DAYS / "three-days.yaml"), "-f", "json", "-o", str(plan)]
    packed = runner.invoke(app, [*args, "--time-limit", "1"])
    assert packed.exit_code == 0, packed.output
    doc = json.loads(plan.read_text())
    about = doc["sizing"]
    assert set(about) >= {"method", "holdout", "candidates", "history", "planned_on"}
    assert about["calibrated"] is True and about["planned_on"] == "the sized series"
    assert set(about["holdout"]) >= {"samples", "time_over_limit", "samples_over_full", "worst"}
    assert about["holdout"]["samples"] == 288  # the third day was held out
    assert 5 <= len(about["candidates"]) <= 8
    for c in about["candidates"]:
        assert set(c) >= {"method", "hosts", "time_over_limit", "samples_over_full", "chosen"}
    (chosen,) = [c for c in about["candidates"] if c["chosen"]]
    assert chosen["method"] == about["method"]
    assert chosen["time_over_limit"] <= 0.0001 and chosen["samples_over_full"] == 0
    # every candidate that met the target used at least as many hosts as the chosen one
    met = [c for c in about["candidates"] if c["time_over_limit"] <= 0.0001]
    assert all(c["hosts"] >= chosen["hosts"] for c in met if c["samples_over_full"] == 0)
    replayed = runner.invoke(
        app, ["backtest", str(DAYS / "next-day.yaml"), "--plan", str(plan), "-f", "json"]
    )
    out = json.loads(replayed.stdout)
    assert replayed.exit_code == (1 if out["samples_over_limit"] else 0)
    assert out["samples"] == 288 and len(out["hosts"]) == doc["hosts_used"]
    assert out["warnings"] == []


def test_pack_sizing_options(runner: CliRunner) -> None:
    none = runner.invoke(app, ["pack", SEED, "-f", "json", "--risk", "none"])
    assert none.exit_code == 0
    about = json.loads(none.stdout)["sizing"]
    assert about["method"] == "history as given" and about["holdout"] is None
    assert json.loads(none.stdout)["optimal_for"] == "the history"
    p95 = runner.invoke(app, ["pack", SEED, "--spare", "0", "-f", "json", "--size", "p95"])
    assert p95.exit_code == 0
    doc = json.loads(p95.stdout)
    assert doc["sizing"]["method"] == "p95" and doc["optimal_for"] == "the sized series"
    assert doc["sizing"]["candidates"][0]["chosen"] is True
    env = runner.invoke(app, ["pack", SEED, "--spare", "0", "-f", "text", "--envelope", "15m"])
    assert env.exit_code == 0
    assert "; sized on envelope 15m; held-out replay: " in env.stdout.splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "day"], "--profile day needs at least two whole days of history"),
        (["--size", "p95", "--envelope", "10m"], "--size gives a constant series"),
        (["--risk", "1%", "--profile", "day"], "--risk chooses the sizing itself"),
        (["--risk", "often"], "expected a percentage like '80%'"),
        (["--size", "p100"], "expected a percentile like 'p95'"),
        (["--envelope", "ten"], "expected a duration with a unit"),
    ],
)
def test_pack_sizing_usage_errors_exit_2(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["pack", SEED, *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
