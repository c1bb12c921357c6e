"""``vmplan report --plan`` with a later inventory shows what ``vmplan backtest`` shows."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.clirun import run

DAYS = Path(__file__).resolve().parent.parent / "samples" / "planetlab-days"


def test_a_later_inventory_gets_the_backtest_numbers(cli: CliRunner) -> None:
    three, later = str(DAYS / "three-days.yaml"), str(DAYS / "next-day.yaml")
    run(cli, "pack", three, "--risk", "none", "--spare", "0", "-f", "json", "-o", "plan.json")
    backtest = run(cli, "backtest", later, "--plan", "plan.json", "-f", "text", code=1)
    run(cli, "report", later, "--plan", "plan.json", "-f", "text", "-o", "later.txt")
    text = Path("later.txt").read_text(encoding="utf-8")
    words = " ".join  # the report wraps its lines at 80 columns; backtest keeps one per host
    replayed = words(("The plan was made on other series; replayed on these:\n" + backtest).split())
    assert replayed in words(text.split())
    run(cli, "report", later, "--plan", "plan.json", "-o", "later.html")
    page = Path("later.html").read_text(encoding="utf-8")
    assert '<section class="replay">' in page
    assert f"<p>{backtest.splitlines()[-1]}</p>" in page
    # on the series it was made on, the report has nothing to replay
    run(cli, "report", three, "--plan", "plan.json", "-f", "text", "-o", "same.txt")
    assert "replayed on these" not in Path("same.txt").read_text(encoding="utf-8")
