"""Shell completion: the scripts for bash, zsh and fish, and host names for ``evacuate HOST`` from
the inventory the command would read, asked for the way each shell asks (environment variables)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vmplan.cli import app

INVENTORY = """\
version: 1
hosts:
  - {name: esx01, cpus: 32, memory: 384GiB}
  - {name: esx02, cpus: 32, memory: 384GiB}
  - {name: big01, cpus: 48, memory: 768GiB, maintenance: true}
vms:
  - {name: web01, host: esx01, vcpus: 4, memory: 16GiB, cpu: [10]}
"""


@pytest.fixture
def here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VMPLAN_INVENTORY", raising=False)
    (tmp_path / "inventory.yaml").write_text(INVENTORY, encoding="utf-8")
    return tmp_path


def complete(env: dict[str, str]) -> list[str]:
    result = CliRunner().invoke(app, [], env=env, prog_name="vmplan")
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    ("shell", "line"),
    [
        ("bash", "complete -o default -F _vmplan_completion vmplan"),
        ("zsh", "compdef _vmplan_completion vmplan"),
        ("fish", "complete --command vmplan --no-files --arguments"),
    ],
)
def test_the_completion_script_for_each_shell(shell: str, line: str) -> None:
    script = complete({"_VMPLAN_COMPLETE": f"source_{shell}"})
    assert any(x.startswith(line) for x in script)
    assert any(f"_VMPLAN_COMPLETE=complete_{shell}" in x for x in script)


def test_show_completion_and_install_completion_are_offered() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert "--install-completion" in result.stdout
    assert "--show-completion" in result.stdout


def test_bash_completes_host_names_not_yet_named(here: Path) -> None:
    env = {"_VMPLAN_COMPLETE": "complete_bash", "COMP_WORDS": "vmplan evacuate ", "COMP_CWORD": "2"}
    assert complete(env) == ["esx01", "esx02", "big01"]
    env.update(COMP_WORDS="vmplan evacuate esx01 e", COMP_CWORD="3")
    assert complete(env) == ["esx02"]


def test_zsh_and_fish_show_cores_and_memory_beside_each_name(here: Path) -> None:
    zsh = complete(
        {"_VMPLAN_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "vmplan evacuate b"}
    )
    assert zsh == ['_arguments \'*: :(("big01":"48 cores, 768GiB (maintenance)"))\'']
    fish = complete(
        {
            "_VMPLAN_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_ARGS": "vmplan evacuate esx",
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",
        }
    )
    assert fish == ["esx01\t32 cores, 384GiB", "esx02\t32 cores, 384GiB"]


def test_hosts_come_from_the_inventory_given_with_i_or_the_environment(here: Path) -> None:
    other = here / "other.yaml"
    other.write_text(INVENTORY.replace("esx0", "kvm0"), encoding="utf-8")
    words = {"_VMPLAN_COMPLETE": "complete_bash", "COMP_CWORD": "4"}
    assert complete({**words, "COMP_WORDS": "vmplan evacuate -i other.yaml k"}) == [
        "kvm01",
        "kvm02",
    ]
    env = {"_VMPLAN_COMPLETE": "complete_bash", "COMP_WORDS": "vmplan evacuate k"}
    assert complete({**env, "COMP_CWORD": "2", "VMPLAN_INVENTORY": str(other)}) == [
        "kvm01",
        "kvm02",
    ]


def test_no_or_a_broken_inventory_completes_nothing_and_says_nothing(
    here: Path,
) -> None:
    env = {"_VMPLAN_COMPLETE": "complete_bash", "COMP_WORDS": "vmplan evacuate ", "COMP_CWORD": "2"}
    (here / "inventory.yaml").write_text("hosts: [unclosed", encoding="utf-8")
    result = CliRunner().invoke(app, [], env=env, prog_name="vmplan")
    assert (result.exit_code, result.stdout.strip(), result.stderr) == (0, "", "")
    (here / "inventory.yaml").unlink()
    result = CliRunner().invoke(app, [], env=env, prog_name="vmplan")
    assert (result.exit_code, result.stdout.strip(), result.stderr) == (0, "", "")


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_real_bash_sources_the_script_and_completes_a_host(here: Path) -> None:
    """The installed ``vmplan`` in a real bash: the script ``--show-completion`` prints for bash,
    then the completion function as Tab calls it."""
    bindir = Path(sys.executable).parent
    assert (bindir / "vmplan").exists()
    script = (
        'eval "$(_VMPLAN_COMPLETE=source_bash vmplan)"\n'
        "COMP_WORDS=(vmplan evacuate esx01 e); COMP_CWORD=3\n"
        "_vmplan_completion vmplan\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VMPLAN_INVENTORY", None)
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "esx02\n", "")
