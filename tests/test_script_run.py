"""The bash scripts of ``vmplan script``, checked by Debian's shellcheck and run under bash against
recording stubs of govc, virsh, qm/pvesh and openstack (tests/scriptstubs.py).

The fleet's names are hostile on purpose: spaces, quotes, ``$(...)``, backticks, leading dashes,
a newline, Unicode. The plan is written by hand (three waves, one temporary stop) so that every
property is checked against a known order: the moves of a wave all happen before the next wave's,
each VM ends on its target, a failed move stops the script after its wave and a rerun finishes
the job without repeating a move, a VM moved behind the script's back stops it, and ``DRY_RUN=1``
neither moves nor asks anything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.scriptstubs import Fake, install
from vmplan.cli import app

BASH_TOOLS = ("govc", "virsh", "qm", "openstack")
TIMEOUT_S = 60

VMS = [
    "web 01",
    "o'brien",
    "$(touch PWNED)",
    "`touch PWNED`",
    "--force",
    "line\nbreak",
    "ünïcødé 💾 名前",
    'say "hi"; rm -rf ~',
    "back\\slash *?[x]",
    "plain",
]
HOSTS = ["esx 01", "-esx02", "esx'03", "$(touch PWNED)-04"]
NODES = ["pve1", "pve2", "pve3", "pve4"]  # Proxmox node names are host names
IDS = {name: 101 + i for i, name in enumerate(VMS)}

# (wave, vm, from, to, temporary) by index; vm 1 stops on host 2 in wave 1 and goes on in wave 2
MOVES = [
    (1, 0, 0, 1, False),
    (1, 1, 1, 2, True),
    (1, 2, 2, 3, False),
    (1, 3, 3, 0, False),
    (2, 1, 2, 0, False),
    (2, 4, 0, 2, False),
    (2, 5, 1, 3, False),
    (3, 6, 2, 1, False),
    (3, 7, 3, 1, False),
]


def start(v: int) -> int:
    return v % len(HOSTS)


def target(v: int) -> int:
    final = [to for _, vm, _, to, _ in MOVES if vm == v]
    return final[-1] if final else start(v)


def inventory_text(hosts: list[str]) -> str:
    lines = ["version: 1", "interval: 5m", "hosts:"]
    lines += [f"  - {{name: {json.dumps(h)}, cpus: 32, memory: 256GiB}}" for h in hosts]
    lines.append("vms:")
    for v, name in enumerate(VMS):
        lines += [
            f"  - name: {json.dumps(name, ensure_ascii=False)}",
            f"    host: {json.dumps(hosts[start(v)])}",
            "    vcpus: 2",
            "    memory: 4GiB",
            '    cpu: "10 20 30"',
        ]
    return "\n".join(lines) + "\n"


def plan_doc(hosts: list[str]) -> dict[str, object]:
    return {
        "command": "pack",
        "feasible": True,
        "placement": {name: hosts[target(v)] for v, name in enumerate(VMS)},
        "migrations": [
            {
                "wave": w,
                "vm": VMS[v],
                "from": hosts[a],
                "to": hosts[b],
                "seconds": 10.0 * w + v,
                "reason": "test",
                "temporary": temp,
            }
            for w, v, a, b, temp in MOVES
        ],
    }


@dataclass(frozen=True, slots=True)
class Setup:
    tool: str
    folder: Path
    script: Path
    fake: Fake
    hosts: list[str]

    def key(self, v: int) -> str:
        """The word the tool knows VM ``v`` by (qm: its id)."""
        return str(IDS[VMS[v]]) if self.tool == "qm" else VMS[v]

    def run(self, fail: list[int] | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        failing = [self.key(v) for v in fail] if fail else None
        return subprocess.run(
            ["bash", str(self.script)],
            cwd=self.folder,
            env=self.fake.env(dict(os.environ), failing, **env),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )

    def wave_of_call(self, call: dict[str, object]) -> int:
        """The plan wave of a recorded migration (by VM and destination)."""
        args = [str(a) for a in call["args"]]  # type: ignore[attr-defined]
        for w, v, _, b, _ in MOVES:
            if self.key(v) in args and _mentions(args, self.hosts[b], self.tool):
                return w
        raise AssertionError(f"a migration the plan does not have: {args!r}")

    def expected(self) -> dict[str, str]:
        return {self.key(v): self.hosts[target(v)] for v in range(len(VMS))}

    def no_injection(self) -> None:
        assert not list(self.folder.rglob("PWNED*")), "a name was run as a command"


def _mentions(args: list[str], host: str, tool: str) -> bool:
    if tool == "virsh":
        return args[-1] == f"qemu+ssh://{host}/system"  # -c names the source
    if tool == "qm":
        return host in args
    return f"-host={host}" in args or f"--host={host}" in args


@pytest.fixture(params=BASH_TOOLS)
def setup(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Setup:
    tool = str(request.param)
    hosts = NODES if tool == "qm" else HOSTS
    monkeypatch.chdir(tmp_path)
    Path("inventory.yaml").write_text(inventory_text(hosts), encoding="utf-8")
    Path("plan.json").write_text(json.dumps(plan_doc(hosts), indent=2), encoding="utf-8")
    extra = []
    if tool == "qm":
        ids = "\n".join(f"{json.dumps(n, ensure_ascii=False)}: {i}" for n, i in IDS.items())
        Path("ids.yaml").write_text(ids + "\n", encoding="utf-8")
        extra = ["--ids", "ids.yaml"]
    result = CliRunner().invoke(
        app,
        ["script", "plan.json", "--for", tool, "-i", "inventory.yaml", "-o", "plan.sh", *extra],
    )
    assert result.exit_code == 0, result.output
    placement = {(str(IDS[n]) if tool == "qm" else n): hosts[start(v)] for v, n in enumerate(VMS)}
    fake = install(tmp_path / "fake", placement)
    return Setup(tool, tmp_path, tmp_path / "plan.sh", fake, hosts)


def shellcheck() -> str:
    found = shutil.which("shellcheck")
    if found:
        return found
    message = "shellcheck is needed: apt-get install -y shellcheck (.ci/run installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def test_shellcheck_finds_nothing(setup: Setup) -> None:
    done = subprocess.run(
        [shellcheck(), "--shell=bash", "--severity=style", str(setup.script)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_the_script_is_executable(setup: Setup) -> None:
    assert os.access(setup.script, os.X_OK)
    assert setup.script.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")


def test_every_vm_ends_on_its_target_wave_by_wave(setup: Setup) -> None:
    done = setup.run()
    assert done.returncode == 0, done.stderr
    assert setup.fake.placement() == setup.expected()
    waves = [setup.wave_of_call(c) for c in setup.fake.calls("migrate")]
    assert len(waves) == len(MOVES)
    assert waves == sorted(waves), "a move ran before a move of an earlier wave"
    setup.no_injection()


def test_a_failed_move_stops_after_its_wave_and_a_rerun_resumes(setup: Setup) -> None:
    failed = setup.run(fail=[2])  # vm 2 moves in wave 1
    assert failed.returncode == 1
    assert "wave 1: FAILED: " in failed.stderr
    assert "stopped after wave 1 of 3: 1 move(s) failed" in failed.stderr
    assert {setup.wave_of_call(c) for c in setup.fake.calls("migrate")} == {1}
    first = len(setup.fake.calls("migrate"))
    assert first == 4  # the other moves of the wave went ahead

    again = setup.run()
    assert again.returncode == 0, again.stderr
    assert setup.fake.placement() == setup.expected()
    rerun = setup.fake.calls("migrate")[first:]
    assert len(rerun) == len(MOVES) - 3, "a move done by the first run was repeated"
    assert again.stderr.count("done before, skipped") == 3
    setup.no_injection()


def test_a_vm_moved_behind_the_scripts_back_stops_it(setup: Setup) -> None:
    placement = setup.fake.placement()
    placement[setup.key(5)] = setup.hosts[0]  # the plan moves vm 5 from host 1 in wave 2
    setup.fake.put(placement)
    done = setup.run()
    assert done.returncode == 1
    assert "the fleet changed since planning" in done.stderr
    assert "stopped after wave 2 of 3" in done.stderr
    assert max(setup.wave_of_call(c) for c in setup.fake.calls("migrate")) == 2
    assert setup.fake.placement()[setup.key(5)] == setup.hosts[0]


def test_dry_run_prints_every_command_and_changes_nothing(setup: Setup) -> None:
    before = setup.fake.placement()
    done = setup.run(DRY_RUN="1")
    assert done.returncode == 0, done.stderr
    assert setup.fake.calls() == []  # neither a move nor a query
    assert setup.fake.placement() == before
    lines = [line for line in done.stdout.split("\nwave ") if line]
    assert len(lines) == len(MOVES)
    assert done.stdout.startswith("wave 1 (about 10s): ")
    assert "wave 3 (about 37s): " in done.stdout
    setup.no_injection()


# A fleet of two clusters and a plan of both: west moves in waves 1 and 3, east in wave 2.
CLUSTER_VMS = ["vm-101", "vm-102", "vm-103"]  # qm takes the ids from these names
CLUSTER_MOVES = [(1, 0, 0, 1), (2, 2, 2, 3), (3, 1, 0, 1)]  # (wave, vm, from, to) by index
CLUSTER_START = [0, 0, 2]


def cluster_inventory(hosts: list[str]) -> str:
    lines = ["version: 1", "interval: 5m", "hosts:"]
    lines += [
        f"  - {{name: {json.dumps(h)}, cpus: 32, memory: 256GiB, "
        f"cluster: {'west' if i < 2 else 'east'}}}"
        for i, h in enumerate(hosts)
    ]
    lines.append("vms:")
    lines += [
        f"  - {{name: {name}, host: {json.dumps(hosts[CLUSTER_START[v]])}, vcpus: 2, "
        f'memory: 4GiB, cpu: "10 20 30"}}'
        for v, name in enumerate(CLUSTER_VMS)
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("tool", BASH_TOOLS)
def test_a_script_for_one_cluster_runs_its_moves_alone_in_waves_without_a_gap(
    tool: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts = NODES if tool == "qm" else ["w 01", "w'02", "$(touch PWNED)-e1", "--e2"]
    end = list(CLUSTER_START)
    for _, v, _, b in CLUSTER_MOVES:
        end[v] = b
    plan = {
        "command": "pack",
        "feasible": True,
        "placement": {name: hosts[end[v]] for v, name in enumerate(CLUSTER_VMS)},
        "migrations": [
            {"wave": w, "vm": CLUSTER_VMS[v], "from": hosts[a], "to": hosts[b], "seconds": 10.0}
            for w, v, a, b in CLUSTER_MOVES
        ],
    }
    monkeypatch.chdir(tmp_path)
    Path("fleet.yaml").write_text(cluster_inventory(hosts), encoding="utf-8")
    Path("plan.json").write_text(json.dumps(plan, indent=2), encoding="utf-8")
    args = ["script", "plan.json", "--for", tool, "-i", "fleet.yaml", "-o", "west.sh"]
    result = CliRunner().invoke(app, [*args, "--cluster", "west"])
    assert result.exit_code == 0, result.output
    script = tmp_path / "west.sh"
    assert "# Clusters: west (the moves of no other cluster are in this script)\n" in (
        script.read_text(encoding="utf-8")
    )
    checked = subprocess.run(
        [shellcheck(), "--shell=bash", "--severity=style", str(script)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout

    key = {name: name.removeprefix("vm-") if tool == "qm" else name for name in CLUSTER_VMS}
    fake = install(
        tmp_path / "fake", {key[n]: hosts[CLUSTER_START[v]] for v, n in enumerate(CLUSTER_VMS)}
    )
    done = subprocess.run(
        ["bash", str(script)],
        cwd=tmp_path,
        env=fake.env(dict(os.environ), None),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "wave 1 of 2: 1 move(s)" in done.stderr and "wave 2 of 2: 1 move(s)" in done.stderr
    assert "done: 2 move(s) in 2 wave(s)" in done.stderr
    moved = [
        next(n for n in CLUSTER_VMS if key[n] in map(str, c["args"]))  # type: ignore[call-overload]
        for c in fake.calls("migrate")
    ]
    assert moved == ["vm-101", "vm-102"]  # west's waves 1 and 3, in order; east's VM untouched
    assert fake.placement() == {
        key["vm-101"]: hosts[1],
        key["vm-102"]: hosts[1],
        key["vm-103"]: hosts[2],
    }
    assert not list(tmp_path.rglob("PWNED*")), "a name was run as a command"
