"""Readable at 80 and 60 columns: every host name and number appears whole (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vmplan.cli import app

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.mark.parametrize("columns", [80, 60])
@pytest.mark.parametrize(
    "args",
    [
        ["pack", str(SAMPLES / "inventory.yaml"), "--risk", "none"],
        ["evacuate", "esx01", "-i", str(SAMPLES / "inventory.yaml")],
    ],
)
def test_tables_never_cut_a_name_or_a_number(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, columns: int, args: list[str]
) -> None:
    plan = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)
    monkeypatch.setenv("COLUMNS", str(columns))
    shown = runner.invoke(app, [*args, "-f", "table"]).stdout
    assert "…" not in shown
    assert all(len(line.rstrip()) <= columns for line in shown.splitlines()[:-1])  # not the summary
    moved = {m["from"] for m in plan["migrations"]} | {m["to"] for m in plan["migrations"]}
    for host in plan["hosts"]:
        if host["name"] in moved or args[0] == "pack":
            assert host["name"] in shown
            assert f"{host['vms_before']} -> {len(host['vms'])}" in shown
    for move in plan["migrations"]:
        assert move["vm"] in shown


def test_text_has_no_box_drawing(runner: CliRunner) -> None:
    shown = runner.invoke(app, ["pack", str(SAMPLES / "inventory.yaml"), "-f", "text"]).stdout
    assert not set(shown) & set("│┃━╇─┼")
    assert all(line == line.strip() for line in shown.splitlines())
