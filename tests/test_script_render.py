"""``vmplan script``: quoting for bash and PowerShell, golden scripts for the hostile fleet, the
qm ids, a plan that does not start from the inventory, and the command's options and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.test_script_run import HOSTS, IDS, NODES, VMS, inventory_text, plan_doc, shellcheck
from vmplan.cli import app
from vmplan.inventory import load
from vmplan.planmatch import read_matching_plan
from vmplan.problems import InputError
from vmplan.scripts import ScriptOptions, Tool, file_digests, render_script
from vmplan.scripts.ids import read_ids
from vmplan.scripts.quoting import POWERSHELL_SINGLE_QUOTES, bash, comment, powershell

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
NASTY = [
    *VMS,
    "",
    "-",
    "'",
    "''",
    "a\u2019b\u2018c\u201ad\u201be",
    "tab\there",
    "cr\rlf\r\n",
    "\x1b[31mred",
    "\u2028ls",
    "${HOME}",
    "!event",
]


@pytest.mark.parametrize("word", NASTY)
def test_bash_quoting_reaches_a_program_unchanged(word: str) -> None:
    done = subprocess.run(
        ["bash", "-c", f"printf '%s' {bash(word)}"],
        capture_output=True,
        timeout=30,
        check=True,
    )
    assert done.stdout.decode("utf-8") == word


def test_bash_leaves_plain_words_bare_and_quotes_dashes() -> None:
    assert bash("esx01.example.com") == "esx01.example.com"
    assert bash("--force") == "'--force'"
    assert bash("o'brien") == "'o'\\''brien'"


def test_no_argument_carries_a_nul() -> None:
    with pytest.raises(ValueError, match="NUL"):
        bash("a\0b")
    with pytest.raises(ValueError, match="NUL"):
        powershell("a\0b")


def read_powershell_literal(text: str) -> tuple[str, str]:
    """PowerShell's tokenizer on a single-quoted string (ScanStringLiteral): any of the five
    single-quote characters ends it unless another follows, which then stands for itself.
    Returns the value and the text after the literal."""
    assert text[0] in POWERSHELL_SINGLE_QUOTES
    out, i = [], 1
    while i < len(text):
        c = text[i]
        if c in POWERSHELL_SINGLE_QUOTES:
            if i + 1 < len(text) and text[i + 1] in POWERSHELL_SINGLE_QUOTES:
                out.append(text[i + 1])
                i += 2
                continue
            return "".join(out), text[i + 1 :]
        out.append(c)
        i += 1
    raise AssertionError("unterminated string")


@pytest.mark.parametrize("word", NASTY)
def test_powershell_quoting_reads_back_as_one_literal(word: str) -> None:
    value, rest = read_powershell_literal(powershell(word) + "; Remove-Item")
    assert value == word
    assert rest == "; Remove-Item"


def test_powershell_doubles_the_typographic_quotes_too() -> None:
    assert powershell("o\u2019brien") == "'o\u2019\u2019brien'"
    assert powershell("$(Stop-Computer)`n") == "'$(Stop-Computer)`n'"


def test_comments_cannot_be_broken_out_of() -> None:
    assert comment("a\nrm -rf /\r\u2028x\\y") == "a\\x0arm -rf /\\x0d\\u2028x\\\\y"


def rendered(tmp_path: Path, tool: Tool, hosts: list[str], **options: object) -> str:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(inventory_text(hosts), encoding="utf-8")
    inv = load([inventory]).inventory
    text = json.dumps(plan_doc(hosts), indent=2)
    plan = read_matching_plan(text, "plan.json", inv)
    digest = file_digests([inventory])[0][1]
    settings = ScriptOptions(
        inputs=(("inventory.yaml", digest),),
        command_line=f"vmplan script plan.json --for {tool.value} -i inventory.yaml",
        version="test",
        **options,  # type: ignore[arg-type]
    )
    return render_script(plan, inv, tool, settings)


@pytest.mark.parametrize("tool", list(Tool))
def test_golden_scripts_for_the_hostile_fleet(tmp_path: Path, tool: Tool, golden: object) -> None:
    hosts = NODES if tool is Tool.QM else HOSTS
    text = rendered(tmp_path, tool, hosts, ids=IDS)
    suffix = "ps1" if tool is Tool.POWERCLI else "sh"
    golden(f"script-{tool.value}.{suffix}", text)  # type: ignore[operator]


def test_powercli_keeps_every_name_a_literal(tmp_path: Path) -> None:
    text = rendered(tmp_path, Tool.POWERCLI, HOSTS)
    assert text.startswith("\ufeff#")  # Windows PowerShell reads non-ASCII names right
    assert "$ErrorActionPreference = 'Stop'" in text
    assert "[CmdletBinding(SupportsShouldProcess = $true)]" in text
    assert "VM = 'o''brien'" in text
    assert "VM = '$(touch PWNED)'" in text
    assert "VM = 'line\nbreak'" in text  # a newline inside a single-quoted string is literal
    for name in VMS[:8]:  # the VMs the plan moves
        assert f"VM = {powershell(name)};" in text


def test_powercli_parses_when_pwsh_is_installed(tmp_path: Path) -> None:
    pwsh = shutil.which("pwsh")
    if pwsh is None:
        pytest.skip("pwsh is not installed (Debian has no package); the golden file stands in")
    script = tmp_path / "plan.ps1"
    script.write_text(rendered(tmp_path, Tool.POWERCLI, HOSTS), encoding="utf-8")
    check = (
        "$e = $null; [System.Management.Automation.Language.Parser]::ParseFile("
        f"'{script}', [ref]$null, [ref]$e) | Out-Null; exit $e.Count"
    )
    done = subprocess.run([pwsh, "-NoProfile", "-Command", check], timeout=120, check=False)
    assert done.returncode == 0


def test_extra_flags_and_uri_templates(tmp_path: Path) -> None:
    text = rendered(
        tmp_path, Tool.VIRSH, HOSTS, uri="qemu+tls://{host}.lab/system", extra=("--compressed",)
    )
    assert "['-esx02']=qemu+tls://-esx02.lab/system" in text
    assert "--undefinesource '--compressed' -- " in text
    text = rendered(
        tmp_path, Tool.QM, NODES, ids=IDS, uri="root@{host}", extra=("--with-local-disks",)
    )
    assert "[pve1]=root@pve1" in text
    twice = bash(bash("--with-local-disks"))  # once for this shell, once for the remote one
    assert f'cmd=(ssh -- "${{node[$2]}}" qm migrate "$1" "$3" --online {twice})' in text
    script = tmp_path / "qm-over-ssh.sh"
    script.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [shellcheck(), "--shell=bash", "--severity=style", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_qm_takes_ids_from_names_and_names_each_vm_without_one(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        "version: 1\nhosts:\n  - {name: pve1, cpus: 8, memory: 64GiB}\n"
        "  - {name: pve2, cpus: 8, memory: 64GiB}\nvms:\n"
        '  - {name: vm-101, host: pve1, vcpus: 1, memory: 1GiB, cpu: "1"}\n'
        '  - {name: "102", host: pve1, vcpus: 1, memory: 1GiB, cpu: "1"}\n'
        '  - {name: web01, host: pve1, vcpus: 1, memory: 1GiB, cpu: "1"}\n',
        encoding="utf-8",
    )
    inv = load([inventory]).inventory
    names = ("vm-101", "102", "web01")
    doc = {
        "placement": dict.fromkeys(names, "pve2"),
        "migrations": [{"wave": 1, "vm": n, "from": "pve1", "to": "pve2"} for n in names],
    }
    plan = read_matching_plan(json.dumps(doc), "plan.json", inv)
    with pytest.raises(InputError) as info:
        render_script(plan, inv, Tool.QM, ScriptOptions())
    (problem,) = info.value.problems
    assert (problem.line, problem.column, problem.path) == (8, 12, "vms[2].name")
    assert "qm needs the numeric id of VM 'web01'" in problem.message
    text = render_script(plan, inv, Tool.QM, ScriptOptions(ids={"web01": 7}))
    assert "launch 1 0s vm-101 101 pve1 pve2\n" in text
    assert "launch 1 0s 102 102 pve1 pve2\n" in text
    assert "launch 1 0s web01 7 pve1 pve2\n" in text


def test_ids_file_problems_have_positions() -> None:
    text = 'web01: 101\ndb01: "102"\napp01: 0\nweb01: 103\n'
    with pytest.raises(InputError) as info:
        read_ids(text, "ids.yaml")
    got = [(p.line, p.column, p.path, p.message) for p in info.value.problems]
    assert got == [
        (2, 7, "db01", "expected a VM id from 1 to 999999999, got '102'"),
        (3, 8, "app01", "expected a VM id from 1 to 999999999, got '0'"),
        (4, 1, "web01", "VM 'web01' is given twice"),
    ]


@pytest.fixture
def sample_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VMPLAN_INVENTORY", raising=False)
    shutil.copy(SAMPLES / "inventory.yaml", "inventory.yaml")
    result = CliRunner().invoke(
        app, ["evacuate", "esx03", "-i", "inventory.yaml", "-f", "json", "-o", "plan.json"]
    )
    assert result.exit_code == 0, result.output
    return tmp_path / "plan.json"


def test_script_command_writes_an_executable_file(sample_plan: Path) -> None:
    result = CliRunner().invoke(app, ["script", "plan.json", "--for", "govc", "-o", "run.sh"])
    assert result.exit_code == 0, result.output
    mode = stat.S_IMODE(os.stat("run.sh").st_mode)
    assert mode & 0o111 == 0o111 & ~_umask()
    text = Path("run.sh").read_text(encoding="utf-8")
    assert "# Plan: evacuate: 8 -> 7 hosts (1 freed), " in text
    assert "# Made with: vmplan script plan.json --for govc -i inventory.yaml -o run.sh\n" in text
    assert "set -euo pipefail\n" in text


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("target", ["plan.json", "inventory.yaml"])
def test_script_never_writes_over_an_input(sample_plan: Path, target: str) -> None:
    before = Path(target).read_bytes()
    result = CliRunner().invoke(app, ["script", "plan.json", "--for", "govc", "-o", target])
    assert result.exit_code == 2
    assert f"refusing to write {target}: it is the input" in result.output
    assert Path(target).read_bytes() == before


def test_a_plan_from_another_placement_is_refused(sample_plan: Path) -> None:
    doc = json.loads(sample_plan.read_text(encoding="utf-8"))
    vm = doc["migrations"][0]["vm"]
    text = Path("inventory.yaml").read_text(encoding="utf-8")
    start = doc["migrations"][0]["from"]
    other = "esx01" if start != "esx01" else "esx02"
    at = text.index(f"- name: {vm} ")
    line_end = text.index(f"host: {start}", at)
    Path("inventory.yaml").write_text(
        text[:line_end] + f"host: {other}" + text[line_end + len(f"host: {start}") :],
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["script", "plan.json", "--for", "virsh"])
    assert result.exit_code == 2
    assert (
        f"migrations[0].from: '{vm}' starts from {start}, but the inventory has it on {other}"
        in (result.output)
    )
    assert "the plan was made from another inventory, or the VM moved since" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--for", "govc", "--uri", "x://{host}"], "--uri is a template with {host}"),
        (["--for", "virsh", "--uri", "qemu:///system"], "--uri is a template with {host}"),
        (["--for", "govc", "--ids", "ids.yaml"], "--ids is for --for qm only"),
        (["--for", "govc", "--extra", "'unclosed"], "--extra: No closing quotation"),
    ],
)
def test_option_misuse_exits_2(sample_plan: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["script", "plan.json", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_qm_refuses_hosts_that_are_not_node_names(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        rendered(tmp_path, Tool.QM, HOSTS, ids=IDS)
    got = [(p.line, p.path, p.message) for p in info.value.problems]
    assert got == [
        (
            4 + i,  # hosts start on line 4
            f"hosts[{i}].name",
            f"{h!r} is not a Proxmox node name (letters, digits, '.' and '-')",
        )
        for i, h in enumerate(HOSTS)
    ]
