"""vmplan evacuate and check --evacuable through the CLI: exit codes, output, inventory discovery."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from vmplan.cli import app

ENV = "VMPLAN_INVENTORY"


def inventory_text(first_vm: str = "web01", start: bool = True, busy: bool = False) -> str:
    """Three 8-core hosts; ``first_vm`` on esx01 fits elsewhere unless ``busy``."""
    load = "90 90 90 90" if busy else "10 20 30 20"
    return textwrap.dedent(
        f"""\
        version: 1
        interval: 5m
        {"start: 2026-11-02T09:00:00Z" if start else ""}
        hosts:
          - {{name: esx01, cpus: 8, memory: 64GiB}}
          - {{name: esx02, cpus: 8, memory: 64GiB}}
          - {{name: esx03, cpus: 8, memory: 64GiB}}
        vms:
          - {{name: {first_vm}, host: esx01, vcpus: 4, memory: 8GiB, cpu: "{load}"}}
          - {{name: db01, host: esx02, vcpus: 8, memory: 8GiB, cpu: "{load}"}}
          - {{name: db02, host: esx03, vcpus: 8, memory: 8GiB, cpu: "{load}"}}
        """
    )


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """A runner in a neutral environment, working in an empty tmp_path."""
    for name in ("GITHUB_ACTIONS", "FORCE_COLOR", "NO_COLOR", ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def put(name: str, text: str) -> Path:
    path = Path(name)
    path.write_text(text, encoding="utf-8")
    return path


def evacuate_json(cli: CliRunner, *args: str) -> tuple[int, dict[str, object]]:
    result = cli.invoke(app, ["evacuate", *args, "-f", "json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}


def test_plan_in_json_exit_0(cli: CliRunner) -> None:
    put("inv.yaml", inventory_text())
    code, doc = evacuate_json(cli, "esx01", "-i", "inv.yaml")
    assert code == 0
    assert (doc["command"], doc["feasible"], doc["evacuated"]) == ("evacuate", True, ["esx01"])
    assert doc["migrations"] == [
        {
            "wave": 1,
            "vm": "web01",
            "from": "esx01",
            "to": "esx02",
            "seconds": 10.6,  # 2 s setup + 1.25 x 8 GiB at 10 Gbit/s
            "memory_bytes": 8 * 2**30,
            "reason": "evacuate esx01",
            "kind": "evacuate",
            "temporary": False,
        }
    ]
    assert doc["placement"] == {"web01": "esx02", "db01": "esx02", "db02": "esx03"}
    assert doc["room_making"] == 0
    assert doc["window"] == {
        "start": "09:00",
        "end": "09:05",
        "timezone": "UTC",
        "seconds": 300,
        "cpu": 0.15,  # (db01 0.8 + web01 0.4 cores) / 8 cores at 09:00
        "busiest_start": "09:10",
        "busiest_cpu": 0.45,
    }


def test_table_summary_line(cli: CliRunner) -> None:
    put("inv.yaml", inventory_text())
    args = ["evacuate", "esx01", "-i", "inv.yaml", "-f", "text", "--risk", "none"]
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == (
        "Evacuate esx01: 1 migration in 1 wave, about 11s; busiest destination peaks at 45% at "
        "09:10 (esx02); quietest time to run it 09:00-09:05 UTC; planned on the history as given"
    )
    assert "wave 1: web01 esx01 -> esx02, 8.0GiB, 11s, evacuate esx01" in lines
    assert "│" not in result.stdout  # plain text: no box drawing
    assert "host esx01: VMs 1 -> 0, CPU peak 15% -> freed" in lines  # the evacuated host ...
    assert any(line.startswith("host esx02: VMs 1 -> 2,") for line in lines)  # ... its destination
    assert not any(line.startswith("host esx03") for line in lines)  # ... and no other host
    assert "esx03 │" not in result.stdout


def test_same_output_twice(cli: CliRunner) -> None:
    put("inv.yaml", inventory_text())
    runs = [cli.invoke(app, ["evacuate", "esx01", "-i", "inv.yaml", "-f", "json"]) for _ in "ab"]
    assert runs[0].stdout == runs[1].stdout


def test_cannot_fit_exit_1_json_still_on_stdout(cli: CliRunner) -> None:
    put("inv.yaml", inventory_text(busy=True))
    code, doc = evacuate_json(cli, "esx01", "-i", "inv.yaml")
    assert code == 1
    assert doc["feasible"] is False and doc["migrations"] == []
    assert doc["unplaced"] == [
        {
            "vm": "web01",
            "reasons": [  # web01 3.6 + db01 7.2 cores on 8
                "no host has room; closest is esx02: CPU short by 2.8 cores at 09:00 "
                "(over the 100% limit during 09:00-09:20)",
                "would fit with 2.8 more cores free on esx02 at 09:00-09:20",
            ],
        }
    ]


def test_cannot_fit_in_text(cli: CliRunner) -> None:
    put("inv.yaml", inventory_text(busy=True))
    result = cli.invoke(app, ["evacuate", "esx01", "-i", "inv.yaml", "-f", "text"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "Cannot evacuate esx01:",
        "no evacuation exists at these limits (proven by the exact model)",
    ]
    assert lines[2].startswith("web01: no host has room; closest is esx02")


def test_a_failed_evacuation_of_several_hosts_leads_with_the_total_shortfall(
    cli: CliRunner,
) -> None:
    vms = "".join(
        f"  - {{name: {h}{k}, host: {h}, vcpus: 4, memory: 30GiB, cpu: [80, 80]}}\n"
        for h, n in (("a", 2), ("b", 2), ("c", 1), ("d", 1))
        for k in range(n)
    )
    hosts = "".join(f"  - {{name: {h}, cpus: 8, memory: 64GiB}}\n" for h in "abcd")
    put(
        "inv.yaml",
        f"version: 1\ninterval: 5m\nstart: 2026-11-02T09:00:00Z\nhosts:\n{hosts}vms:\n{vms}",
    )
    result = cli.invoke(app, ["evacuate", "a", "b", "-i", "inv.yaml", "-f", "text"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "Cannot evacuate a, b:",
        "short by 3.2 cores at 09:00 and 52.0 GiB of memory in total: the 4 VMs to move need more "
        "than the free room of every receiving host together",
    ]
    assert any(line.startswith("b0: no host has room") for line in lines[2:])
    _code, doc = evacuate_json(cli, "a", "b", "-i", "inv.yaml")
    assert doc["notes"][0].startswith("short by 3.2 cores at 09:00 and 52.0 GiB of memory")


def test_unknown_host_exit_2_with_the_closest_name(cli: CliRunner) -> None:
    put("inv.yaml", inventory_text())
    result = cli.invoke(app, ["evacuate", "esx1", "db01", "-i", "inv.yaml"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert " ".join(result.stderr.split()) == (
        "error: unknown host 'esx1' (did you mean 'esx01'?); unknown host 'db01'"
    )


def test_invalid_inventory_exit_2(cli: CliRunner) -> None:
    put("inv.yaml", inventory_text().replace("cpus: 8", "cpus: eight", 1))
    result = cli.invoke(app, ["evacuate", "esx01", "-i", "inv.yaml"])
    assert result.exit_code == 2
    assert "inv.yaml:5:" in result.stderr and "hosts[0].cpus" in result.stderr


def test_window_needs_timestamps(cli: CliRunner) -> None:
    put("inv.yaml", inventory_text(start=False))
    result = cli.invoke(app, ["evacuate", "esx01", "-i", "inv.yaml", "--window"])
    assert result.exit_code == 2
    assert "--window needs timestamps" in result.stderr
    code, doc = evacuate_json(cli, "esx01", "-i", "inv.yaml")  # no suggestion without --window
    assert code == 0 and "window" not in doc


def test_yaml_is_the_same_document(cli: CliRunner) -> None:
    put("inv.yaml", inventory_text())
    result = cli.invoke(app, ["evacuate", "esx01", "-i", "inv.yaml", "-f", "yaml"])
    assert result.exit_code == 0
    _, doc = evacuate_json(cli, "esx01", "-i", "inv.yaml")
    assert yaml.safe_load(result.stdout) == doc


def test_output_file_holds_what_stdout_would(cli: CliRunner) -> None:
    put("inv.yaml", inventory_text())
    result = cli.invoke(app, ["evacuate", "esx01", "-i", "inv.yaml", "-f", "json", "-o", "p.json"])
    assert result.exit_code == 0 and result.stdout == ""
    _, doc = evacuate_json(cli, "esx01", "-i", "inv.yaml")
    assert json.loads(Path("p.json").read_text()) == doc


# --- where the inventory comes from -----------------------------------------------------------


def evacuated_vm(cli: CliRunner, *args: str) -> str:
    code, doc = evacuate_json(cli, "esx01", *args)
    assert code == 0, doc
    migrations = doc["migrations"]
    assert isinstance(migrations, list)
    return str(migrations[0]["vm"])


def test_discovery_order(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """-i beats $VMPLAN_INVENTORY beats ./inventory.yaml beats ./vmplan.yaml."""
    put("given.yaml", inventory_text("from-option"))
    put("env.yaml", inventory_text("from-env"))
    put("inventory.yaml", inventory_text("from-inventory"))
    put("vmplan.yaml", inventory_text("from-vmplan"))
    monkeypatch.setenv(ENV, "env.yaml")
    assert evacuated_vm(cli, "-i", "given.yaml") == "from-option"
    assert evacuated_vm(cli) == "from-env"
    monkeypatch.delenv(ENV)
    assert evacuated_vm(cli) == "from-inventory"
    Path("inventory.yaml").unlink()
    assert evacuated_vm(cli) == "from-vmplan"


def test_no_inventory_says_where_it_looked(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["evacuate", "esx01"])
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == (
        f"error: no inventory: pass -i FILE, set {ENV}, or create inventory.yaml or vmplan.yaml "
        f"(looked in {tmp_path})"
    )


def test_env_lists_several_files(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    put("hosts.yaml", "version: 1\nhosts:\n  - {name: esx09, cpus: 8, memory: 64GiB}\n")
    put("main.yaml", inventory_text())
    monkeypatch.setenv(ENV, os.pathsep.join(["main.yaml", "hosts.yaml"]))
    code, doc = evacuate_json(cli, "esx01", "esx02", "esx03")
    assert code == 0
    assert set(doc["placement"].values()) == {"esx09"}  # type: ignore[union-attr]


def test_repeated_inventory_options_merge(cli: CliRunner) -> None:
    put("hosts.yaml", "version: 1\nhosts:\n  - {name: esx09, cpus: 8, memory: 64GiB}\n")
    put("main.yaml", inventory_text())
    code, doc = evacuate_json(cli, "esx01", "esx02", "-i", "main.yaml", "-i", "hosts.yaml")
    assert code == 0
    assert doc["evacuated"] == ["esx01", "esx02"]


# --- check --evacuable ----------------------------------------------------------------------


def test_check_evacuable_ok(cli: CliRunner) -> None:
    put("inv.yaml", inventory_text())
    result = cli.invoke(app, ["check", "--evacuable", "inv.yaml"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: 3 hosts, 3 VMs, 4 samples, no findings\n"


def test_check_evacuable_finds_each_host(cli: CliRunner) -> None:
    put("inv.yaml", inventory_text(busy=True))
    plain = cli.invoke(app, ["check", "inv.yaml"])
    assert plain.exit_code == 0  # nothing wrong today ...
    result = cli.invoke(app, ["check", "--evacuable", "inv.yaml", "-f", "json"])
    assert result.exit_code == 1  # ... but no host could be taken down
    doc = json.loads(result.stdout)
    found = [(f["path"], f["rule"], f["line"], f["level"]) for f in doc["findings"]]
    assert found == [
        ("hosts[esx01]", "evacuable", 5, "error"),
        ("hosts[esx02]", "evacuable", 6, "error"),
        ("hosts[esx03]", "evacuable", 7, "error"),
    ]
    assert doc["findings"][0]["message"] == (
        "host esx01 cannot be evacuated now: web01: no host has room; closest is esx02: CPU short "
        "by 2.8 cores at 09:00 (over the 100% limit during 09:00-09:20) / would fit with 2.8 more "
        "cores free on esx02 at 09:00-09:20"
    )
