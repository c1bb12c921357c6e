"""Nothing lost, nothing leaked: -o never replaces an input or a device, closed and full streams,
signals, and names that would drive the terminal (issue 16). Each case runs the real entry point
in a process of its own, with files only under tmp_path."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.clirun import interruptible

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root (CI runs as root)")


def vmplan(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vmplan", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=cwd,
    )


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """samples/csv copied: an inventory with its cpu_series CSV beside it."""
    shutil.copytree(SAMPLES / "csv", tmp_path / "csv")
    return tmp_path / "csv" / "inventory.yaml"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _plan(tmp_path: Path, inventory: Path) -> Path:
    plan = tmp_path / "plan.json"
    assert vmplan("pack", inventory, "-o", plan).returncode == 0
    return plan


@pytest.mark.parametrize("target", ["inventory.yaml", "cpu.csv", "link-to-inventory"])
@pytest.mark.parametrize("command", ["pack", "evacuate", "report", "report-plan"])
def test_output_over_an_input_is_refused_and_nothing_is_written(
    tmp_path: Path, fleet: Path, command: str, target: str
) -> None:
    folder = fleet.parent
    (folder / "link-to-inventory").symlink_to("inventory.yaml")
    plan = _plan(tmp_path, fleet)
    before = _snapshot(folder)
    out = folder / target
    args: dict[str, list[str | Path]] = {
        "pack": ["pack", fleet, "-f", "json", "-o", out],
        "evacuate": ["evacuate", "node1", "-i", fleet, "-f", "json", "-o", out],
        "report": ["report", fleet, "-o", out],
        "report-plan": ["report", fleet, "--plan", plan, "-o", out],
    }
    done = vmplan(*args[command])
    assert done.returncode == 2, done.stderr
    assert "refusing to write" in done.stderr and "choose another -o" in done.stderr
    assert _snapshot(folder) == before  # nothing replaced, no temporary left


def test_a_report_never_replaces_the_plan_it_reads(tmp_path: Path, fleet: Path) -> None:
    plan = _plan(tmp_path, fleet)
    kept = plan.read_bytes()
    done = vmplan("report", fleet, "--plan", plan, "-o", plan)
    assert done.returncode == 2
    assert plan.read_bytes() == kept


@ROOT_ONLY
@pytest.mark.parametrize("command", ["pack", "schema"])
def test_a_device_is_written_in_place_never_replaced(tmp_path: Path, command: str) -> None:
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null, in tmp_path
    args = ["pack", SAMPLES / "seed.yaml", "-f", "json"] if command == "pack" else ["schema"]
    done = vmplan(*args, "-o", null)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(null.stat().st_mode)  # still the device
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


@ROOT_ONLY
def test_a_full_device_is_exit_2_with_the_reason(tmp_path: Path) -> None:
    full = tmp_path / "full"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # like /dev/full
    done = vmplan("pack", SAMPLES / "seed.yaml", "-f", "json", "-o", full)
    assert done.returncode == 2
    assert "No space left on device" in done.stderr
    assert stat.S_ISCHR(full.stat().st_mode)


def test_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    done = vmplan("pack", SAMPLES / "seed.yaml", "--spare", "0", "-f", "json", "-o", fifo)
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(got[0])["hosts_used"] == 1
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_closed_stdout_is_exit_2_not_a_traceback() -> None:
    done = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m vmplan pack "{SAMPLES / "seed.yaml"}" >&-'],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2
    assert "cannot write the output: stdout is closed" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_closed_stderr_still_gives_the_plan() -> None:
    done = subprocess.run(
        [
            "bash",
            "-c",
            f'"{sys.executable}" -m vmplan pack "{SAMPLES / "seed.yaml"}" --spare 0 -f json 2>&-',
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["hosts_used"] == 1


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_check_onto_a_full_disk_is_exit_2(fmt: str) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "vmplan", "check", str(SAMPLES / "seed.yaml"), "-f", fmt],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    assert done.returncode == 2, done.stderr
    assert "No space left on device" in done.stderr
    assert "internal error" not in done.stderr


@pytest.mark.parametrize(
    ("sig", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_a_signal_ends_with_its_code_and_leaves_nothing(
    tmp_path: Path, sig: signal.Signals, code: int, word: str
) -> None:
    """The plan waits on a FIFO nobody reads (as on a slow disk): the signal comes mid-write."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    cmd = [sys.executable, "-m", "vmplan", "pack", str(SAMPLES / "seed.yaml"), "-o", str(fifo)]
    with interruptible(cmd) as proc:
        wchan = Path(f"/proc/{proc.pid}/wchan")
        for _ in range(600):  # until it blocks opening the FIFO, its plan made (at most a minute)
            if proc.poll() is not None or wchan.read_text() == "wait_for_partner":
                break
            time.sleep(0.1)
        proc.send_signal(sig)
        _, errors = proc.communicate(timeout=60)
    assert proc.returncode == code
    assert f"vmplan: {word}; nothing was written" in errors
    assert "Traceback" not in errors
    assert [p.name for p in tmp_path.iterdir()] == ["fifo"]


def test_names_cannot_drive_the_terminal_or_forge_lines(tmp_path: Path) -> None:
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(
        "version: 1\n"
        "hosts:\n"
        '  - {name: "esx\\e[2J", cpus: 8, memory: 64GiB}\n'
        "  - {name: esx02, cpus: 8, memory: 64GiB}\n"
        "vms:\n"
        '  - {name: "web\\ninv.yaml:1:1: error: forged", host: "esx\\e[2J", vcpus: 2,'
        " memory: 4GiB, cpu: [10, 20]}\n"
        "  - {name: db, host: esx02, vcpus: 2, memory: 4GiB, cpu: [10, 20]}\n",
        encoding="utf-8",
    )
    for args in (["pack", inventory, "-f", "text"], ["pack", inventory, "-f", "table"]):
        done = vmplan(*args)
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout
        assert not any(line.startswith("inv.yaml:1:1:") for line in done.stdout.splitlines())
        assert "esx\\x1b[2J" in done.stdout


NO_DESTINATION = """\
version: 1
hosts:
  - {name: esx01, cpus: 8, memory: 64GiB}
  - {name: esx02, cpus: 8, memory: 64GiB, maintenance: true}
vms:
  - {name: a, host: esx01, vcpus: 2, memory: 4GiB, cpu: [10, 20]}
"""
ONE_HOST = """\
version: 1
hosts:
  - {name: esx01, cpus: 8, memory: 64GiB}
vms:
  - {name: a, host: esx01, vcpus: 2, memory: 4GiB, cpu: [10, 20]}
"""


@pytest.mark.parametrize(
    ("text", "args"),
    [
        (NO_DESTINATION, ["evacuate", "esx01", "-i"]),
        (NO_DESTINATION, ["evacuate", "esx01", "esx02", "-i"]),
        (ONE_HOST, ["evacuate", "esx01", "-i"]),
        (NO_DESTINATION, ["check", "--evacuable"]),
        (ONE_HOST, ["check", "--evacuable"]),
    ],
)
def test_an_evacuation_with_no_destination_is_a_finding_not_a_crash(
    tmp_path: Path, text: str, args: list[str]
) -> None:
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(text, encoding="utf-8")
    done = vmplan(*args, inventory)
    assert done.returncode == 1, done.stderr
    assert "esx01" in done.stdout and "internal error" not in done.stderr
