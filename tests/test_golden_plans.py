"""Plans of pack and evacuate in json and text, byte for byte (``pytest --update-golden`` rewrites
them), and the same bytes from two processes with different hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vmplan.cli import app

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

# Cases whose search finishes within its budgets, so the plan does not depend on the machine's
# speed: the seed (2 hosts) and evacuations, whose search has deterministic budgets.
CASES = {
    "pack-seed": ["pack", "seed.yaml", "--spare", "0"],
    "pack-seed-history": ["pack", "seed.yaml", "--risk", "none", "--spare", "0"],
    "evacuate-esx01": ["evacuate", "esx01", "-i", "inventory.yaml", "--risk", "none"],
    "evacuate-esx03-esx04": [
        "evacuate",
        "esx03",
        "esx04",
        "-i",
        "inventory.yaml",
        "--risk",
        "none",
    ],
}


@pytest.mark.parametrize("fmt", ["json", "text"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_plans_match_their_golden_files(
    runner: CliRunner,
    golden: Callable[[str, str], None],
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    fmt: str,
) -> None:
    monkeypatch.chdir(SAMPLES)
    result = runner.invoke(app, [*CASES[case], "-f", fmt])
    assert result.exit_code in (0, 1), result.output
    golden(f"{case}.{fmt}", result.stdout)


@pytest.mark.parametrize(
    "args",
    [
        ["evacuate", "esx03", "esx04", "-i", "inventory.yaml", "-f", "json"],
        ["check", "--evacuable", "inventory.yaml", "-f", "json"],
        ["pack", "seed.yaml", "-f", "json"],
    ],
)
def test_the_same_output_whatever_the_hash_seed(args: list[str]) -> None:
    """Dict and set order must never leak into a plan: two processes, two PYTHONHASHSEEDs."""
    outputs = []
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-m", "vmplan", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
            cwd=SAMPLES,
            env=env,
        )
        assert done.returncode in (0, 1), done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
