"""The real console entry point in a process of its own: output flushed, exit codes kept.

``main`` leaves with ``os._exit`` (no interpreter teardown), so what a pipe receives and the exit
status are checked here, outside the in-process CliRunner.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def vmplan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vmplan", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_a_piped_plan_arrives_whole() -> None:
    done = vmplan("pack", str(SAMPLES / "inventory.yaml"), "--format", "json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["feasible"] is True and len(plan["placement"]) == 58


def test_exit_codes_survive_the_quick_exit(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nhosts: [\n", encoding="utf-8")
    done = vmplan("check", str(bad))
    assert done.returncode == 2
    assert done.stdout.startswith(f"{bad}:3:1: error: invalid YAML")
    assert vmplan("--version").stdout.startswith("vmplan ")


def test_a_reader_that_has_gone_gets_no_traceback() -> None:
    cmd = [sys.executable, "-m", "vmplan", "pack", str(SAMPLES / "seed.yaml"), "-f", "json"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # like `| head` that has already quit
        errors = proc.stderr.read().decode()
        code = proc.wait(timeout=120)
    assert "Traceback" not in errors and "internal error" not in errors
    assert code != 0  # it could not say what it had to say


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_under_stdout_is_an_error_not_a_bug() -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "vmplan", "pack", str(SAMPLES / "seed.yaml"), "-f", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    assert done.returncode == 2
    assert "cannot write the output: No space left on device" in done.stderr
    assert "internal error" not in done.stderr
