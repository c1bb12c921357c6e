"""report, backtest and script on fleets of clusters, through the CLI on files written in tmp_path:
hosts grouped by cluster, ``--cluster`` restricting to some, a plan of more clusters than chosen
read quietly, a plan that crosses clusters refused where it says so."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from fleetgen import SMALL, west_and_east, write_fleet
from rich.console import Console
from typer.testing import CliRunner

from vmplan.cli import app
from vmplan.inventory import load
from vmplan.planfile import read_plan
from vmplan.render import report_model, report_text

CLUSTERS = ["c00", "c01", "c02"]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str], Path]:
    """Three clusters of 12 VMs on 3 hosts (a day of samples), the next day of the same fleet,
    and the plan ``vmplan pack`` makes for the first day."""
    folder = tmp_path_factory.mktemp("fleet")
    today = [str(p) for p in write_fleet(folder / "today", 3, 12, 3, 288, seed=7)]
    later = [str(p) for p in write_fleet(folder / "later", 3, 12, 3, 288, seed=8)]
    plan = folder / "plan.json"
    args = ["pack", *today, "--risk", "none", "--jobs", "1", "--time-limit", "1", "-o", str(plan)]
    result = CliRunner().invoke(app, [*args, "-f", "json"])
    assert result.exit_code == 0, result.output
    return today, later, plan


def invoke(runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.stderr


def cluster_of(host: str) -> str:
    return host[:3]


# --- report ---------------------------------------------------------------------------------


def test_report_text_puts_a_line_per_cluster_above_its_hosts(runner, fleet):
    today, _, plan = fleet
    text = invoke(runner, "report", *today, "--plan", str(plan), "-f", "text", "-o", "-")
    doc = json.loads(plan.read_text(encoding="utf-8"))
    lines = text.splitlines()
    heads = [i for i, line in enumerate(lines) if line.startswith("Cluster ")]
    assert [lines[i].split(":")[0] for i in heads] == [f"Cluster {c}" for c in CLUSTERS]
    for i, entry in zip(heads, doc["clusters"], strict=True):
        assert lines[i] == (
            f"Cluster {entry['name']}: {entry['hosts_before']} hosts in use now, "
            f"{entry['hosts_used']} after the plan"
        )
        hosts = lines[i + 1 : i + 7 : 2]  # each host's line "now", then its line "after"
        assert [cluster_of(h) for h in hosts] == [entry["name"]] * 3, hosts
    assert lines[heads[-1] + 7] == ""  # then the legend and the summary, as without clusters


def test_report_html_has_a_heading_per_cluster_over_its_hosts_panels(runner, fleet, tmp_path):
    today, _, plan = fleet
    out = tmp_path / "report.html"
    invoke(runner, "report", *today, "--plan", str(plan), "-o", str(out))
    page = out.read_text(encoding="utf-8")
    doc = json.loads(plan.read_text(encoding="utf-8"))
    sections = re.findall(r'<section class="cluster" [^>]*data-cluster="([^"]+)">(.*?)(?=<section class="cluster" |<section class="waves")', page, re.S)  # fmt: skip
    assert [name for name, _ in sections] == CLUSTERS
    for (name, body), entry in zip(sections, doc["clusters"], strict=True):
        heading = re.match(r"<h2>([^<]*)</h2>", body)
        assert heading, body[:200]
        assert heading.group(1) == (
            f"Cluster {name}: {entry['hosts_before']} hosts in use now, "
            f"{entry['hosts_used']} after the plan"
        )
        hosts = re.findall(r'<section class="host[^"]*" id="host-([^"]+)"', body)
        assert hosts == [f"{name}-esx{h:03d}" for h in range(3)]


def test_report_cluster_option_shows_those_clusters_of_a_whole_fleet_plan(runner, fleet):
    today, _, plan = fleet
    result = runner.invoke(
        app, ["report", *today, "--plan", str(plan), "-f", "text", "-o", "-", "--cluster", "c01"]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # the other clusters' VMs are neither missing nor unknown
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("Cluster ")] == [
        line
        for line in invoke(
            runner, "report", *today, "--plan", str(plan), "-f", "text", "-o", "-"
        ).splitlines()
        if line.startswith("Cluster c01")
    ]
    hosts = [line.split()[0] for line in lines[2:8:2]]
    assert hosts == ["c01-esx000", "c01-esx001", "c01-esx002"]
    assert not any(line.startswith(("c00", "c02")) for line in lines)
    assert "The plan was made on other series" not in result.stdout


def test_report_an_unknown_cluster_is_a_usage_error(runner, fleet):
    today, _, _ = fleet
    err = invoke(runner, "report", *today, "-f", "text", "--cluster", "c1", code=2)
    assert "--cluster: no host is in cluster 'c1'" in err
    assert "the inventory has 'c00', 'c01', 'c02'" in err


def test_report_refuses_a_plan_that_moves_a_vm_to_another_cluster(runner, tmp_path):
    inventory = tmp_path / "small.yaml"
    inventory.write_text(SMALL, encoding="utf-8")
    plan = {
        "command": "pack",
        "placement": {"w1": "b1", "w2": "a2", "e1": "b1"},
        "migrations": [{"wave": 1, "vm": "w1", "from": "a1", "to": "b1", "seconds": 5}],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2), encoding="utf-8")
    err = invoke(runner, "report", str(inventory), "--plan", str(path), "-f", "text", code=2)
    assert (
        f"{path}:4:11: error: placement.w1: 'w1' is in cluster 'west' (on a1), but the plan places "
        "it on b1, in cluster 'east': live migration never crosses clusters  [plan]"
    ) in err
    assert f"{path}:13:13: error: migrations[0].to: 'w1' is in cluster 'west'" in err
    # east alone is drawn: the move is west's business
    invoke(runner, "report", str(inventory), "--plan", str(path), "-f", "text", "--cluster", "east")


def test_report_on_a_terminal_lines_up_the_clusters_tables(fleet):
    today, _, plan = fleet
    inv = load([Path(p) for p in today]).inventory
    target = read_plan(plan.read_text(encoding="utf-8"), str(plan), inv)
    console = Console(file=io.StringIO(), width=200, color_system=None)
    report_text.rich_table(console, report_model.build(inv, target, str(plan)))
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    heads = [line.split(":")[0] for line in lines if line.startswith("Cluster ")]
    assert heads == [f"Cluster {c}" for c in CLUSTERS]
    hosts = [line for line in lines if line.startswith("c0")]
    assert len(hosts) == 9 and len({line.index("%") for line in hosts}) == 1  # one alignment


def test_report_without_clusters_has_no_cluster_heading(runner, tmp_path):
    paths = [str(p) for p in write_fleet(tmp_path, 1, 6, 2, 24, named=False)]
    text = invoke(runner, "report", *paths, "-f", "text", "-o", "-")
    assert "Cluster" not in text
    invoke(runner, "report", *paths, "-o", str(tmp_path / "r.html"))
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'class="cluster"' not in page and ".cluster>" not in page


# --- backtest -------------------------------------------------------------------------------


def test_backtest_json_adds_a_replay_per_cluster(runner, fleet):
    _, later, plan = fleet
    doc = json.loads(invoke(runner, "backtest", *later, "--plan", str(plan), "-f", "json"))
    assert [c["name"] for c in doc["clusters"]] == CLUSTERS
    keys = ["samples_over_limit", "samples_over_full", "hosts_used", "hosts_over_memory"]
    for key in keys:
        assert doc[key] == sum(c[key] for c in doc["clusters"]), key
    assert doc["worst"] == max(c["worst"] for c in doc["clusters"])
    for entry in doc["clusters"]:
        mine = [h for h in doc["hosts"] if cluster_of(h["name"]) == entry["name"]]
        assert entry["hosts_used"] == len(mine)
        assert entry["samples_over_limit"] == sum(h["samples_over_limit"] for h in mine)
        assert entry["worst"] == max(h["worst"] for h in mine)
        assert entry["samples"] == doc["samples"] == 288
        assert set(entry) == {"name", "samples", "time_over_limit", *keys, "worst"}
    assert doc["warnings"] == []


@pytest.mark.parametrize("fmt", ["text", "table"])
def test_backtest_text_and_table_show_a_line_per_cluster(runner, fleet, fmt):
    _, later, plan = fleet
    text = invoke(runner, "backtest", *later, "--plan", str(plan), "-f", fmt)
    doc = json.loads(invoke(runner, "backtest", *later, "--plan", str(plan), "-f", "json"))
    lines = [line for line in text.splitlines() if line.startswith("Cluster ")]
    assert [line.split(":")[0] for line in lines] == [f"Cluster {c}" for c in CLUSTERS]
    for line, entry in zip(lines, doc["clusters"], strict=True):
        assert line.startswith(
            f"Cluster {entry['name']}: {entry['hosts_used']} hosts x 288 samples: "
            f"{entry['samples_over_limit']} over the CPU limit"
        )
    assert text.splitlines()[-1].startswith("Backtest: ")


def test_backtest_cluster_option_replays_those_clusters_quietly(runner, fleet):
    _, later, plan = fleet
    result = runner.invoke(
        app, ["backtest", *later, "--plan", str(plan), "-f", "json", "--cluster", "c02"]
    )
    assert result.exit_code in (0, 1), result.output
    assert result.stderr == ""  # c00's and c01's VMs are no warning
    doc = json.loads(result.stdout)
    whole = json.loads(invoke(runner, "backtest", *later, "--plan", str(plan), "-f", "json"))
    assert doc["warnings"] == []
    assert {cluster_of(h["name"]) for h in doc["hosts"]} == {"c02"}
    [entry] = doc["clusters"]
    assert entry == next(c for c in whole["clusters"] if c["name"] == "c02")
    assert doc["hosts"] == [h for h in whole["hosts"] if cluster_of(h["name"]) == "c02"]


def test_backtest_without_clusters_has_no_clusters_key(runner, tmp_path):
    paths = [str(p) for p in write_fleet(tmp_path, 1, 6, 2, 24, named=False)]
    plan = tmp_path / "plan.json"
    invoke(runner, "pack", *paths, "--risk", "none", "--spare", "0", "-o", str(plan))
    doc = json.loads(invoke(runner, "backtest", *paths, "--plan", str(plan), "-f", "json"))
    assert "clusters" not in doc
    text = invoke(runner, "backtest", *paths, "--plan", str(plan), "-f", "text")
    assert "Cluster" not in text


# --- script ---------------------------------------------------------------------------------


def test_script_cluster_option_emits_only_those_clusters_moves(runner, fleet):
    today, _, plan = fleet
    doc = json.loads(plan.read_text(encoding="utf-8"))
    inventory = [w for p in today for w in ("-i", p)]
    script = invoke(
        runner, "script", str(plan), "--for", "govc", *inventory, "--cluster", "c01", "--cluster", "c02"
    )  # fmt: skip
    assert "# Clusters: c01, c02 (the moves of no other cluster are in this script)\n" in script
    assert "# script per cluster with --cluster NAME and run them side by side.\n" in script
    assert "--cluster c01 --cluster c02\n" in script  # the header's command line
    launched = [line for line in script.splitlines() if line.startswith("launch ")]
    moved = {re.findall(r"c0\d-vm\d+", line)[0] for line in launched}
    expected = {m["vm"] for m in doc["migrations"] if cluster_of(m["vm"]) in ("c01", "c02")}
    assert moved == expected and expected
    whole = invoke(runner, "script", str(plan), "--for", "govc", *inventory)
    assert "# Clusters: c00, c01, c02 (the moves of no other cluster are in this script)\n" in whole


def test_script_the_other_clusters_stale_moves_are_no_error(runner, fleet, tmp_path):
    today, _, plan = fleet
    doc = json.loads(plan.read_text(encoding="utf-8"))
    for m in doc["migrations"]:
        if cluster_of(m["vm"]) == "c00":
            m["from"] = "c00-esx002" if m["from"] != "c00-esx002" else "c00-esx000"  # stale
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    inventory = [w for p in today for w in ("-i", p)]
    err = invoke(runner, "script", str(stale), "--for", "virsh", *inventory, code=2)
    assert "the plan was made from another inventory, or the VM moved since" in err
    script = invoke(runner, "script", str(stale), "--for", "virsh", *inventory, "--cluster", "c01")
    assert "c00-" not in script


# --- evacuate's sizing ----------------------------------------------------------------------

#: a1's VM fits on a2 only at its lower samples; b1, of another cluster, would take it at any.
ACROSS = """
version: 1
limits: {cpu: 80%, memory: 90%}
hosts:
  - {name: a1, cpus: 8, memory: 64GiB, cluster: west}
  - {name: a2, cpus: 8, memory: 64GiB, cluster: west}
  - {name: b1, cpus: 32, memory: 512GiB, cluster: east}
vms:
  - {name: w1, host: a1, vcpus: 4, memory: 8GiB, cpu: [50, 60, 70, 80, 50, 60, 70, 80, 50, 60, 70, 90]}
  - {name: w2, host: a2, vcpus: 4, memory: 8GiB, cpu: [50, 60, 70, 80, 50, 60, 70, 80, 50, 60, 70, 90]}
"""


def test_evacuate_calibrates_its_sizing_within_the_cluster(runner, tmp_path):
    """The sizing's candidates and held-out replay are of evacuations within the cluster: they
    were of the whole inventory, which moved w1 to b1 in cluster east (a 0% replay, where the
    evacuation within west is over its limit a third of the held-out time)."""
    path = tmp_path / "across.yaml"
    path.write_text(ACROSS, encoding="utf-8")
    args = ["evacuate", "a1", "-i", str(path), "-f", "json", "--time-limit", "1"]
    fleet = json.loads(runner.invoke(app, args).stdout)["sizing"]
    west = json.loads(runner.invoke(app, [*args, "--cluster", "west"]).stdout)["sizing"]
    assert fleet == west
    assert fleet["holdout"]["time_over_limit"] > 0


#: west's a1 cannot be emptied (w1 fits on a2 only above the limit); east's b1 can.
HALF = (
    west_and_east(2, "{cpu: 80%, memory: 90%}")
    + """\
  - {name: w1, host: a1, vcpus: 4, memory: 8GiB, cpu: [90, 90]}
  - {name: w2, host: a2, vcpus: 4, memory: 8GiB, cpu: [90, 90]}
  - {name: e1, host: b1, vcpus: 2, memory: 4GiB, cpu: [10, 20]}
"""
)


def test_an_evacuation_that_fails_in_one_cluster_names_that_clusters_hosts(runner, tmp_path):
    """It said "Cannot evacuate a1, b1:" with east's "strategy: spread" among the reasons,
    though east empties b1; now a1 alone, west's reasons, and that b1 can go on its own."""
    path = tmp_path / "half.yaml"
    path.write_text(HALF, encoding="utf-8")
    args = ["evacuate", "a1", "b1", "-i", str(path), "--risk", "none"]
    lines = invoke(runner, *args, "-f", "text", code=1).splitlines()
    text = runner.invoke(app, [*args, "-f", "text"]).stdout.splitlines()
    assert text[:3] == [
        "Cannot evacuate a1:",
        "cluster 'west': no evacuation exists at these limits (proven by the exact model)",
        "cluster 'east': b1 can be emptied on its own: evacuate again without the other hosts",
    ]
    assert text[3].startswith("w1: no host has room; closest is a2")
    assert lines == []  # stderr: the findings are the product, on stdout
    doc = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)
    assert doc["feasible"] is False and doc["evacuated"] == ["a1"]
    assert [c["feasible"] for c in doc["clusters"]] == [False, True]
    alone = json.loads(invoke(runner, *args[:1], "b1", *args[3:], "-f", "json"))
    assert alone["feasible"] is True and alone["evacuated"] == ["b1"]


# --- pack's bounds ---------------------------------------------------------------------------

#: West is bound by CPU (8 busy cores on 8-core hosts at 80%), east by memory (80 GiB of VMs).
BOUNDS = (
    west_and_east(3, "{cpu: 80%, memory: 90%}")
    + "".join(
        f"  - {{name: w{i}, host: a{1 + i % 2}, vcpus: 1, memory: 1GiB, cpu: [100, 100]}}\n"
        for i in range(8)
    )
    + "".join(
        f"  - {{name: e{i}, host: b{1 + i % 3}, vcpus: 1, memory: 10GiB, cpu: [5, 5]}}\n"
        for i in range(8)
    )
)


@pytest.mark.parametrize("spare", [0, 1])
def test_a_fleets_bound_detail_reaches_its_lower_bound(runner, tmp_path, spare):
    """The fleet's bound is its clusters' best bounds added up, which here no kind reaches
    (CPU binds west, memory east): the detail said cpu 3, memory 3 under a lower bound of 4,
    and named them binding. It now has ``clusters`` 4, binding; each cluster has its own."""
    path = tmp_path / "bounds.yaml"
    path.write_text(BOUNDS, encoding="utf-8")
    doc = json.loads(
        invoke(runner, "pack", str(path), "-f", "json", "--risk", "none", "--spare", str(spare))
    )
    detail = doc["lower_bound_detail"]
    assert doc["lower_bound"] == max(detail.values()) + 2 * spare == detail["clusters"] + 2 * spare
    assert doc["lower_bound_binding"] == ["clusters"] and detail["cpu"] < detail["clusters"]
    for cluster, binds in zip(doc["clusters"], ("cpu", "memory"), strict=True):
        own = cluster["lower_bound_detail"]
        assert cluster["lower_bound"] == max(own.values()) + spare
        assert binds in cluster["lower_bound_binding"]
