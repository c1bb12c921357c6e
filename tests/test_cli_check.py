"""``vmplan check`` through the typer app: exit codes, formats, colour, and every finding kind."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Writer
from typer.testing import CliRunner, Result

from vmplan.cli import app
from vmplan.commands import output
from vmplan.inventory.jsonschema import inventory_schema
from vmplan.problems import Level, Problem
from vmplan.render import problems as render

ANSI = re.compile(r"\x1b\[[0-9;]*m")
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[0-9;]+)m")


def check(runner: CliRunner, *args: str | Path, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, ["check", *map(str, args)], env=env)


def inventory(
    write: Writer,
    hosts: list[str],
    vms: list[str],
    rules: list[str] = (),  # type: ignore[assignment]
    head: str = "interval: 1h\nlimits: {cpu: 80%}\n",
    name: str = "inventory.yaml",
) -> Path:
    """An inventory from flow-mapping lines; with the default head the first host is on line 5."""
    text = f"version: 1\n{head}hosts:\n"
    text += "".join(f"  - {{{h}}}\n" for h in hosts)
    text += "vms:\n" + "".join(f"  - {{{v}}}\n" for v in vms)
    if rules:
        text += "rules:\n" + "".join(f"  - {{{r}}}\n" for r in rules)
    return write(name, text)


def findings(result: Result) -> list[tuple[str, str, str, str]]:
    """(level, rule, path, message) of every finding of a ``--format json`` run."""
    doc = json.loads(result.stdout)
    return [(f["level"], f["rule"], f["path"], f["message"]) for f in doc["findings"]]


# --- exit codes ------------------------------------------------------------------------------


def test_exit_0_when_clean(runner: CliRunner, write: Writer) -> None:
    path = inventory(
        write,
        ["name: esx01, cpus: 16, memory: 64GiB"],
        ["name: web01, host: esx01, vcpus: 4, memory: 8GiB, cpu: [10, 20]"],
    )
    result = check(runner, path)
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: 1 hosts, 1 VMs, 2 samples, no findings\n"
    assert result.stderr == ""


def test_exit_1_on_an_error_finding(runner: CliRunner, write: Writer) -> None:
    path = inventory(
        write,
        ["name: esx01, cpus: 4, memory: 64GiB"],
        ["name: web01, host: esx01, vcpus: 4, memory: 8GiB, cpu: [10, 100]"],
    )
    result = check(runner, path)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[-1] == (
        "failed: 1 hosts, 1 VMs, 2 samples, 2 error(s), 0 warning(s)"
    )


def test_exit_2_on_invalid_input_with_every_problem_in_text(
    runner: CliRunner, in_data: Path
) -> None:
    result = check(runner, "bad/non-positive.yaml")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        "bad/non-positive.yaml:3:25: error: hosts[0].cpus: "
        "expected a number of cores greater than 0, got 0  [schema]",
        "bad/non-positive.yaml:4:25: error: hosts[1].cpus: "
        "expected a number of cores greater than 0, got -8  [schema]",
        "bad/non-positive.yaml:4:37: error: hosts[1].memory: "
        "expected a size greater than zero, got '0GiB'  [schema]",
        "bad/non-positive.yaml:6:39: error: vms[0].vcpus: "
        "expected a number of vCPUs greater than 0, got 0  [schema]",
        "invalid input: 4 error(s), 0 warning(s)",
    ]


def test_exit_2_on_a_missing_file_and_on_usage_errors(runner: CliRunner, tmp_path: Path) -> None:
    missing = check(runner, tmp_path / "nope.yaml")
    assert missing.exit_code == 2
    assert (
        missing.stdout.splitlines()[0] == f"{tmp_path / 'nope.yaml'}: error: no such file  [input]"
    )
    assert check(runner).exit_code == 2  # no inventory named
    assert check(runner, "--format", "xml", "x.yaml").exit_code == 2
    bad_limit = check(runner, "--cpu-limit", "eighty", tmp_path / "nope.yaml")
    assert bad_limit.exit_code == 2
    assert "expected a percentage like '80%', got 'eighty'" in bad_limit.output


def test_every_bad_file_under_tests_data_exits_2(runner: CliRunner, in_data: Path) -> None:
    for path in sorted(Path("bad").glob("*.yaml")):
        if path.name == "merge-duplicates.yaml":
            continue  # valid alone; see test_inventory_errors
        result = check(runner, path)
        assert result.exit_code == 2, (path, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)


# --- warnings and --strict -------------------------------------------------------------------


def maintenance_warning(write: Writer) -> Path:
    return inventory(
        write,
        [
            "name: esx01, cpus: 16, memory: 64GiB",
            "name: esx02, cpus: 16, memory: 64GiB, maintenance: true",
        ],
        ["name: web01, host: esx02, vcpus: 4, memory: 8GiB, cpu: [10, 20]"],
    )


def test_a_warning_alone_exits_0_and_strict_makes_it_1(runner: CliRunner, write: Writer) -> None:
    path = maintenance_warning(write)
    relaxed = check(runner, path)
    assert relaxed.exit_code == 0, relaxed.output
    assert relaxed.stdout.splitlines() == [
        f"{path}:6:12: warning: hosts[esx02]: host esx02 is in maintenance but still holds "
        "1 VM(s)  [maintenance-occupied]",
        "ok: 2 hosts, 1 VMs, 2 samples, 0 error(s), 1 warning(s)",
    ]
    strict = check(runner, "--strict", path)
    assert strict.exit_code == 1
    assert strict.stdout.splitlines() == [
        f"{path}:6:12: error: hosts[esx02]: host esx02 is in maintenance but still holds "
        "1 VM(s)  [maintenance-occupied]",
        "failed: 2 hosts, 1 VMs, 2 samples, 1 error(s), 0 warning(s)",
    ]


def test_missing_samples_warn_and_strict_fails_them(runner: CliRunner, write: Writer) -> None:
    path = inventory(
        write,
        ["name: esx01, cpus: 16, memory: 64GiB"],
        ["name: web01, host: esx01, vcpus: 4, memory: 8GiB, cpu: [10, null, 30]"],
    )
    assert check(runner, path).exit_code == 0
    strict = check(runner, "--strict", "-f", "json", path)
    assert strict.exit_code == 1
    assert findings(strict) == [
        ("error", "missing-samples", "vms[0].cpu", "1 missing sample(s) filled with its peak 30%")
    ]


# --- formats ---------------------------------------------------------------------------------


def test_json_shape(runner: CliRunner, write: Writer) -> None:
    path = maintenance_warning(write)
    result = check(runner, "--format", "json", path)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert list(doc) == [
        "command",
        "status",
        "errors",
        "warnings",
        "findings",
        "hosts",
        "vms",
        "samples",
    ]
    assert doc == {
        "command": "check",
        "status": "ok",
        "errors": 0,
        "warnings": 1,
        "findings": [
            {
                "file": str(path),
                "line": 6,
                "column": 12,
                "path": "hosts[esx02]",
                "level": "warning",
                "rule": "maintenance-occupied",
                "message": "host esx02 is in maintenance but still holds 1 VM(s)",
            }
        ],
        "hosts": 2,
        "vms": 1,
        "samples": 2,
    }
    failed = json.loads(check(runner, "-f", "json", "--strict", path).stdout)
    assert (failed["status"], failed["errors"], failed["warnings"]) == ("failed", 1, 0)


def test_json_for_invalid_input(runner: CliRunner, in_data: Path) -> None:
    result = check(runner, "-f", "json", "bad/unsupported-version.yaml")
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "command": "check",
        "status": "invalid",
        "errors": 1,
        "warnings": 0,
        "findings": [
            {
                "file": "bad/unsupported-version.yaml",
                "line": 1,
                "column": 10,
                "path": "version",
                "level": "error",
                "rule": "schema",
                "message": "unsupported version 2; this vmplan reads version 1",
            }
        ],
    }


def test_github_annotations(runner: CliRunner, write: Writer) -> None:
    path = inventory(
        write,
        [
            "name: esx01, cpus: 4, memory: 64GiB",
            "name: esx02, cpus: 16, memory: 64GiB, maintenance: true",
            "name: esx03, cpus: 16, memory: 64GiB",
        ],
        [
            "name: web01, host: esx01, vcpus: 4, memory: 8GiB, cpu: [10, 90]",
            "name: web02, host: esx02, vcpus: 1, memory: 8GiB, cpu: [10, 10]",
        ],
    )
    result = check(runner, "--format", "github", path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"::error file={path},line=5,col=12,title=vmplan cpu-limit::hosts[esx01]: host esx01 "
        "combined CPU reaches 90.0%25 of 4 cores at sample 1 (+1h00m), over its 80%25 limit in "
        "1 of 2 samples; most demand then (cores): web01 3.6",
        f"::warning file={path},line=6,col=12,title=vmplan maintenance-occupied::hosts[esx02]: "
        "host esx02 is in maintenance but still holds 1 VM(s)",
        "failed: 3 hosts, 2 VMs, 2 samples, 1 error(s), 1 warning(s)",
    ]


def test_github_is_chosen_under_actions_unless_a_format_is_given(
    runner: CliRunner, in_data: Path
) -> None:
    env = {"GITHUB_ACTIONS": "true"}
    auto = check(runner, "bad/unsupported-version.yaml", env=env)
    assert auto.exit_code == 2
    assert auto.stdout.splitlines() == [
        "::error file=bad/unsupported-version.yaml,line=1,col=10,title=vmplan schema::"
        "version: unsupported version 2; this vmplan reads version 1",
        "invalid input: 1 error(s), 0 warning(s)",
    ]
    text = check(runner, "-f", "text", "bad/unsupported-version.yaml", env=env)
    assert text.stdout.startswith("bad/unsupported-version.yaml:1:10: error: version: ")
    assert (
        check(runner, "bad/unsupported-version.yaml", env={"GITHUB_ACTIONS": "false"}).stdout[:2]
        != "::"
    )


def test_github_escapes_what_would_break_an_annotation(write: Writer) -> None:
    problem = Problem("a,b:c.yaml", 3, 4, "x", "50% done\nnext line", "schema", Level.ERROR)
    assert render.github([problem], "summary").splitlines() == [
        "::error file=a%2Cb%3Ac.yaml,line=3,col=4,title=vmplan schema::x: 50%25 done%0Anext line",
        "summary",
    ]


def test_a_problem_without_a_line_is_annotated_on_the_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.yaml"
    result = check(runner, "-f", "github", missing)
    assert result.stdout.splitlines()[0] == (
        f"::error file={missing},title=vmplan input::no such file"
    )


# --- colour ----------------------------------------------------------------------------------


def test_no_ansi_codes_when_not_a_terminal(runner: CliRunner, write: Writer) -> None:
    result = check(runner, maintenance_warning(write))
    assert not ANSI.search(result.stdout)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("no_color", [False, True])
def test_colour_on_a_terminal_unless_no_color(
    monkeypatch: pytest.MonkeyPatch, no_color: bool
) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "COLORTERM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    problem = Problem("f.yaml", 1, 2, "hosts[0]", "too hot", "cpu-limit", Level.ERROR)
    render.text(output.stdout_console(), [problem], "failed")
    out = terminal.getvalue()
    assert ANSI.sub("", out) == "f.yaml:1:2: error: hosts[0]: too hot  [cpu-limit]\nfailed\n"
    assert bool(COLOUR.search(out)) is not no_color


# --- the app ---------------------------------------------------------------------------------


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    listed = re.findall(r"^  (\w+) ", result.stdout, flags=re.MULTILINE)
    assert {"check", "pack", "evacuate", "schema"} <= set(listed), result.stdout


def test_no_arguments_shows_help(runner: CliRunner) -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == 2
    assert "check" in result.output and "Usage" in result.output


def test_schema_prints_the_json_schema(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == inventory_schema()
    assert json.loads(result.stdout)["properties"]["version"] == {"const": 1}


# --- every finding kind ----------------------------------------------------------------------


def test_cpu_limit_names_host_time_percent_and_top_vms(runner: CliRunner, write: Writer) -> None:
    path = inventory(
        write,
        ["name: esx01, cpus: 8, memory: 64GiB", "name: esx02, cpus: 8, memory: 64GiB"],
        [
            "name: web01, host: esx01, vcpus: 4, memory: 8GiB, cpu: [20, 50, 90, 40]",
            "name: web02, host: esx01, vcpus: 4, memory: 8GiB, cpu: [20, 60, 80, 30]",
            "name: app01, host: esx01, vcpus: 2, memory: 4GiB, cpu: [10, 10, 40, 10]",
            "name: cache01, host: esx01, vcpus: 1, memory: 2GiB, cpu: [0, 0, 20, 0]",
            "name: idle01, host: esx02, vcpus: 8, memory: 2GiB, cpu: [0, 0, 0, 0]",
        ],
        head="interval: 1h\nstart: 2026-11-02T08:00:00Z\nlimits: {cpu: 80%}\n",
    )
    result = check(runner, "-f", "json", path)
    assert result.exit_code == 1
    assert findings(result) == [
        (
            "error",
            "cpu-limit",
            "hosts[esx01]",
            "host esx01 combined CPU reaches 97.5% of 8 cores at 2026-11-02T10:00:00Z, over its "
            "80% limit in 1 of 4 samples; most demand then (cores): web01 3.6, web02 3.2, app01 0.8",
        )
    ]
    assert json.loads(result.stdout)["findings"][0]["line"] == 6


def test_cpu_limit_is_checked_at_every_sample_not_on_averages(
    runner: CliRunner, write: Writer
) -> None:
    # two VMs whose peaks coincide once: the means are low, one sample is over
    path = inventory(
        write,
        ["name: esx01, cpus: 4, memory: 64GiB"],
        [
            "name: a, host: esx01, vcpus: 4, memory: 8GiB, cpu: [5, 5, 5, 5, 5, 5, 5, 45]",
            "name: b, host: esx01, vcpus: 4, memory: 8GiB, cpu: [5, 5, 5, 5, 5, 5, 5, 40]",
        ],
        head="limits: {cpu: 80%}\n",  # default interval 5m, no start
    )
    result = check(runner, "-f", "json", path)
    assert findings(result) == [
        (
            "error",
            "cpu-limit",
            "hosts[esx01]",
            "host esx01 combined CPU reaches 85.0% of 4 cores at sample 7 (+0h35m), over its 80% "
            "limit in 1 of 8 samples; most demand then (cores): a 1.8, b 1.6",
        )
    ]


def test_cpu_limit_override_from_the_command_line(runner: CliRunner, write: Writer) -> None:
    path = inventory(
        write,
        ["name: esx01, cpus: 10, memory: 64GiB"],
        ["name: web01, host: esx01, vcpus: 10, memory: 8GiB, cpu: [50, 70]"],
    )
    assert check(runner, path).exit_code == 0
    result = check(runner, "--cpu-limit", "60%", "-f", "json", path)
    assert result.exit_code == 1
    assert [f[1] for f in findings(result)] == ["cpu-limit", "vm-fits-nowhere"]


def test_memory_limit(runner: CliRunner, write: Writer) -> None:
    path = inventory(
        write,
        ["name: esx01, cpus: 16, memory: 64GiB", "name: esx02, cpus: 16, memory: 32GiB"],
        [
            "name: db01, host: esx02, vcpus: 4, memory: 24GiB, cpu: [10]",
            "name: db02, host: esx02, vcpus: 4, memory: 24GiB, cpu: [10]",
        ],
        head="limits: {memory: 90%}\n",
    )
    result = check(runner, "-f", "json", path)
    assert findings(result) == [
        (
            "error",
            "memory-limit",
            "hosts[esx02]",
            "host esx02 holds 48.0GiB of VM memory, over its limit of 28.8GiB (90% of 32.0GiB)",
        )
    ]


def test_vcpu_fit(runner: CliRunner, write: Writer) -> None:
    path = inventory(
        write,
        ["name: esx01, cpus: 16, memory: 64GiB", "name: esx04, cpus: 4, memory: 64GiB"],
        ["name: big01, host: esx04, vcpus: 8, memory: 8GiB, cpu: [10]"],
    )
    assert findings(check(runner, "-f", "json", path)) == [
        (
            "error",
            "vcpu-fit",
            "vms[big01]",
            "VM big01 has 8 vCPUs but its host esx04 has only 4 cores",
        )
    ]


@pytest.mark.parametrize(
    ("vm", "reason"),
    [
        (
            "vcpus: 32, memory: 8GiB, cpu: [10]",
            "32 vCPUs, more than any host has cores (the most: 16 on esx01)",
        ),
        (
            "vcpus: 2, memory: 1TiB, cpu: [10]",
            "1.0TiB of memory, more than any host's memory limit allows "
            "(the most: 128.0GiB on esx02 at 100%)",
        ),
        (
            "vcpus: 16, memory: 8GiB, cpu: [10, 90]",
            "a CPU peak of 14.4 cores at +1h00m, above every host's CPU limit "
            "(the most: 12.8 cores on esx01 at 80%)",
        ),
    ],
)
def test_vm_fits_nowhere(runner: CliRunner, write: Writer, vm: str, reason: str) -> None:
    path = inventory(
        write,
        ["name: esx01, cpus: 16, memory: 64GiB", "name: esx02, cpus: 16, memory: 128GiB"],
        [f"name: x01, host: esx02, {vm}"],
    )
    result = check(runner, "-f", "json", path)
    assert ("error", "vm-fits-nowhere", "vms[x01]", f"VM x01 fits on no host: {reason}") in (
        findings(result)
    )


def test_vm_pinned_to_hosts_in_maintenance_fits_nowhere(runner: CliRunner, write: Writer) -> None:
    path = inventory(
        write,
        [
            "name: esx01, cpus: 16, memory: 64GiB",
            "name: esx02, cpus: 16, memory: 64GiB, maintenance: true",
        ],
        ["name: lic01, host: esx01, vcpus: 2, memory: 8GiB, cpu: [10]"],
        ["type: pin, vms: [lic01], hosts: [esx02]"],
    )
    assert findings(check(runner, "-f", "json", path)) == [
        (
            "error",
            "vm-fits-nowhere",
            "vms[lic01]",
            "VM lic01 fits on no host: pin rules that allow no host",
        ),
        (
            "error",
            "rule-conflict",
            "rules[0]",
            "pin rule allows only hosts in maintenance (esx02)",
        ),
        (
            "error",
            "rule-broken",
            "rules[0]",
            "pin rule broken: lic01 on esx01, outside esx02",
        ),
    ]


HOSTS3 = [f"name: esx0{i}, cpus: 16, memory: 64GiB" for i in (1, 2, 3)]
VMS4 = [
    "name: db01, host: esx01, vcpus: 4, memory: 8GiB, cpu: [10]",
    "name: db02, host: esx01, vcpus: 4, memory: 8GiB, cpu: [10]",
    "name: app01, host: esx02, vcpus: 4, memory: 8GiB, cpu: [10]",
    "name: app02, host: esx03, vcpus: 4, memory: 8GiB, cpu: [10]",
]


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        (
            "name: dbs-apart, type: anti-affinity, vms: [db01, db02]",
            "dbs-apart",
            "anti-affinity rule broken: db01, db02 share host esx01",
        ),
        (
            "type: affinity, vms: [app01, app02]",
            "rules[0]",
            "affinity rule broken: its VMs are on different hosts (app01 on esx02, app02 on esx03)",
        ),
        (
            "type: pin, vms: [app01, db01], hosts: [esx01]",
            "rules[0]",
            "pin rule broken: app01 on esx02, outside esx01",
        ),
    ],
)
def test_rule_broken(runner: CliRunner, write: Writer, rule: str, path: str, message: str) -> None:
    inv = inventory(write, HOSTS3, VMS4, [rule])
    result = check(runner, "-f", "json", inv)
    assert result.exit_code == 1
    assert findings(result) == [("error", "rule-broken", path, message)]
    assert json.loads(result.stdout)["findings"][0]["line"] == 14  # the rule's own line


def test_kept_rules_are_silent(runner: CliRunner, write: Writer) -> None:
    rules = [
        "type: anti-affinity, vms: [app01, app02]",
        "type: affinity, vms: [db01, db02]",
        "type: pin, vms: [db01], hosts: [esx01, esx02]",
    ]
    assert check(runner, inventory(write, HOSTS3, VMS4, rules)).exit_code == 0


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            ["type: affinity, vms: [big01, big02]"],
            "affinity group of 2 VMs fits on no single host (combined CPU peak 16.0 cores, "
            "memory, vCPUs or pins of its members)",
        ),
        (
            ["type: anti-affinity, vms: [big01, big02, db01, app01]"],
            "anti-affinity rule spreads 4 VMs but they can use only 3 distinct hosts",
        ),
        (
            ["type: affinity, vms: [db01, app01]", "type: anti-affinity, vms: [app01, db01]"],
            "keeps app01 and db01 together, but rules[1] keeps them apart",
        ),
    ],
)
def test_rule_conflict(runner: CliRunner, write: Writer, rules: list[str], message: str) -> None:
    vms = [
        "name: big01, host: esx01, vcpus: 16, memory: 8GiB, cpu: [50, 10]",
        "name: big02, host: esx02, vcpus: 16, memory: 8GiB, cpu: [50, 10]",
        "name: db01, host: esx03, vcpus: 2, memory: 8GiB, cpu: [10, 10]",
        "name: app01, host: esx03, vcpus: 2, memory: 8GiB, cpu: [10, 10]",
    ]
    result = check(runner, "-f", "json", inventory(write, HOSTS3, vms, rules))
    assert ("error", "rule-conflict", "rules[0]", message) in findings(result), result.stdout
    assert result.exit_code == 1


def test_maintenance_occupied_is_a_warning(runner: CliRunner, write: Writer) -> None:
    result = check(runner, "-f", "json", maintenance_warning(write))
    assert findings(result) == [
        (
            "warning",
            "maintenance-occupied",
            "hosts[esx02]",
            "host esx02 is in maintenance but still holds 1 VM(s)",
        )
    ]


# --- golden json -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "files", "code"),
    [
        ("check-findings.json", ["good/findings.yaml"], 1),
        ("check-merged.json", ["good/hosts.yaml", "good/vms.yaml"], 0),
        ("check-invalid.json", ["bad/several.yaml", "bad/empty.yaml"], 2),
    ],
)
def test_json_output_matches_the_golden_file(
    runner: CliRunner,
    in_data: Path,
    golden: Callable[[str, str], None],
    name: str,
    files: list[str],
    code: int,
) -> None:
    result = check(runner, "--format", "json", *files)
    assert result.exit_code == code, result.output
    golden(name, result.stdout)
