"""A plan written as YAML (-f yaml, or -o plan.yaml) reads back like its JSON form (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from vmplan.cli import app
from vmplan.inventory import load
from vmplan.planfile import read_plan
from vmplan.problems import InputError

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SEED = SAMPLES / "seed.yaml"


def _plans(runner: CliRunner, tmp_path: Path) -> tuple[Path, Path]:
    as_json, as_yaml = tmp_path / "plan.json", tmp_path / "plan.yaml"
    for out in (as_json, as_yaml):
        result = runner.invoke(app, ["pack", str(SEED), "--spare", "0", "-o", str(out)])
        assert result.exit_code == 0, result.output
    return as_json, as_yaml


def test_a_yaml_plan_reads_as_its_json_form(runner: CliRunner, tmp_path: Path) -> None:
    as_json, as_yaml = _plans(runner, tmp_path)
    assert yaml.safe_load(as_yaml.read_text()) == json.loads(as_json.read_text())
    inv = load([SEED]).inventory
    from_json = read_plan(as_json.read_text(), str(as_json), inv)
    from_yaml = read_plan(as_yaml.read_text(), str(as_yaml), inv)
    assert from_yaml.target.tolist() == from_json.target.tolist()
    assert [str(m.reason) for m in from_yaml.moves] == [str(m.reason) for m in from_json.moves]
    report = runner.invoke(app, ["report", str(SEED), "--plan", str(as_yaml), "-o", "-"])
    assert report.exit_code == 0 and report.stdout.startswith("<!DOCTYPE html>")


def test_a_problem_in_a_yaml_plan_is_placed_at_its_yaml_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    _, as_yaml = _plans(runner, tmp_path)
    lines = as_yaml.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  server-a: "))
    lines[at] = "  server-a: host-z"
    as_yaml.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        read_plan(as_yaml.read_text(), "plan.yaml", load([SEED]).inventory)
    (problem,) = info.value.problems
    assert (problem.line, problem.column, problem.path) == (at + 1, 13, "placement.server-a")
    assert problem.message.startswith("unknown host 'host-z'")


def test_a_yaml_plan_keeps_the_readers_limits(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefg", "bcdefgh", strict=True)
    )
    with pytest.raises(InputError) as info:
        read_plan(bomb, "bomb.yaml", load([SEED]).inventory)
    assert "billion laughs" in info.value.problems[0].message
