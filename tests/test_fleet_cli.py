"""Fleets of clusters through the CLI: the same JSON in process, in a process pool and on a real
Dask cluster; ``--cluster`` restricts a command to some clusters."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from fleetgen import SMALL, west_and_east, write_fleet
from typer.testing import CliRunner

from tests.clirun import interruptible
from vmplan.cli import app
from vmplan.fleet import Where, run
from vmplan.inventory import loader

PACK = ["pack", "--format", "json", "--time-limit", "1", "--risk", "none"]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Three clusters of 30 VMs on 5 hosts, one day of samples."""
    return [str(p) for p in write_fleet(tmp_path_factory.mktemp("fleet"), 3, 30, 5, 288)]


@pytest.fixture(scope="module")
def dask_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real LocalCluster: two worker processes of one thread, closed at the end (its scratch
    space its own, not the shared one in /tmp that another run may hold)."""
    if os.environ.get("CI") == "true":  # in CI the real scheduler must be there: fail, never skip
        import distributed
    else:
        distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        local_directory=str(tmp_path_factory.mktemp("dask")),
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_jobs_and_dask_give_byte_identical_json(runner: CliRunner, fleet, dask_address):
    one = runner.invoke(app, [*PACK, *fleet, "--jobs", "1"])
    two = runner.invoke(app, [*PACK, *fleet, "--jobs", "2"])
    on_dask = runner.invoke(app, [*PACK, *fleet, "--scheduler", dask_address])
    assert (one.exit_code, two.exit_code, on_dask.exit_code) == (0, 0, 0), on_dask.output
    assert one.stdout == two.stdout == on_dask.stdout
    doc = json.loads(one.stdout)
    names = [c["name"] for c in doc["clusters"]]
    assert names == ["c00", "c01", "c02"]
    assert doc["hosts_before"] == sum(c["hosts_before"] for c in doc["clusters"]) == 15
    assert doc["hosts_used"] == sum(c["hosts_used"] for c in doc["clusters"])
    assert doc["lower_bound"] == sum(c["lower_bound"] for c in doc["clusters"])
    assert len(doc["migrations"]) == sum(c["migrations"] for c in doc["clusters"])
    assert doc["total_seconds"] == max(c["total_seconds"] for c in doc["clusters"])
    for move in doc["migrations"]:  # never across clusters
        assert move["vm"][:3] == move["from"][:3] == move["to"][:3]


def test_files_read_side_by_side_give_the_same_plan_and_the_same_problems(
    runner: CliRunner, fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """--jobs 2 reads the YAML files in a worker while vmplan reads their CSVs (here whatever
    their size): the same plan, and on bad input the same problems, as reading them in turn."""
    monkeypatch.setattr(loader, "PARALLEL_BYTES", 0)
    one = runner.invoke(app, [*PACK, *fleet, "--jobs", "1"])
    two = runner.invoke(app, [*PACK, *fleet, "--jobs", "2"])
    assert (one.exit_code, two.exit_code) == (0, 0) and one.stdout == two.stdout
    bad = [Path(shutil.copy(f, tmp_path)) for f in fleet]
    for f in fleet:
        shutil.copy(Path(f).with_suffix(".csv"), tmp_path)
    bad[0].write_text(bad[0].read_text().replace("vms:", "vms: [", 1))  # a YAML syntax error
    csv = bad[2].with_suffix(".csv")
    lines = csv.read_text().split("\n")
    lines[5] = lines[5].replace(",", ",x", 1)  # a cell that is no number
    csv.write_text("\n".join(lines))
    files = [str(f) for f in bad]
    one = runner.invoke(app, [*PACK, *files, "--jobs", "1"])
    two = runner.invoke(app, [*PACK, *files, "--jobs", "2"])
    assert (one.exit_code, two.exit_code) == (2, 2)
    assert one.stdout == two.stdout
    found = json.loads(one.stdout)["findings"]
    assert {Path(p["file"]).name for p in found} == {bad[0].name, csv.name}, found


def test_an_inventory_from_a_pipe_is_read_here_while_other_files_go_to_a_worker(
    fleet, monkeypatch: pytest.MonkeyPatch
):
    """``-i <(...)`` gives ``/dev/fd/N``, which a worker process cannot open: with such a path
    the files are read in turn, whatever their size."""
    monkeypatch.setattr(loader, "PARALLEL_BYTES", 0)
    read, write = os.pipe()
    text = Path(fleet[0]).read_bytes()
    os.write(
        write, text.replace(b"cpu_series: c00.csv", f"cpu_series: {fleet[0][:-5]}.csv".encode())
    )
    os.close(write)
    try:
        loaded = loader.load(
            [f"/dev/fd/{read}", *fleet[1:]],
            series_roots=[Path(fleet[0]).parent],
            each=partial(run.each, where=Where(2)),
        )
    finally:
        os.close(read)
    assert [h.cluster for h in loaded.inventory.hosts][::5] == ["c00", "c01", "c02"]


def test_cluster_option_restricts_the_plan_to_those_clusters(runner: CliRunner, fleet):
    result = runner.invoke(app, [*PACK, *fleet, "--jobs", "1", "--cluster", "c02"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [c["name"] for c in doc["clusters"]] == ["c02"]
    assert {h["name"][:3] for h in doc["hosts"]} == {"c02"}
    assert set(doc["placement"]) == {f"c02-vm{v:05d}" for v in range(30)}


def test_the_fleets_search_is_cut_when_a_clusters_search_is(runner: CliRunner, fleet):
    """Each cluster says how its search ended, and the fleet's is cut when any cluster's is: it
    said "finished" while every cluster's note said the time limit had cut it."""
    for limit, search in (("0", "cut by the time limit"), ("5", "finished")):
        args = [*PACK, *fleet, "--jobs", "1", "--time-limit", limit, "--cluster", "c00"]
        both = runner.invoke(app, [*args, "--cluster", "c01"])
        assert both.exit_code == 0, both.output
        doc = json.loads(both.stdout)
        assert doc["search"] == search
        assert [c["search"] for c in doc["clusters"]] == [search, search]
        assert all(c["strategy"] in doc["strategy"] for c in doc["clusters"])
        cut_notes = [n for n in doc.get("notes", []) if "cut by --time-limit" in n]
        assert len(cut_notes) == (2 if limit == "0" else 0)


def test_max_migrations_bounds_the_whole_fleet(runner: CliRunner, tmp_path: Path):
    """Two clusters of three hosts, one small VM on each: --max-migrations 1 freed a host in each
    cluster, 2 migrations; now 1 in all, as for the same hosts without clusters, and the cluster
    left out says it had a share of 0."""
    vms = "".join(
        f"  - {{name: {c}vm{i}, host: {c}{i}, vcpus: 2, memory: 4GiB, cpu: [10, 20]}}\n"
        for c in "ab"
        for i in (1, 2, 3)
    )
    fleet_yaml = tmp_path / "two.yaml"
    fleet_yaml.write_text(west_and_east(3) + vms, encoding="utf-8")
    flat = tmp_path / "flat.yaml"
    flat.write_text(
        fleet_yaml.read_text().replace(", cluster: west", "").replace(", cluster: east", "")
    )
    args = [*PACK, "--spare", "0", "--max-migrations", "1", "--jobs", "1"]
    docs = [json.loads(runner.invoke(app, [*args, str(p)]).stdout) for p in (fleet_yaml, flat)]
    fleet, alone = docs
    assert len(fleet["migrations"]) == len(alone["migrations"]) == 1
    assert fleet["hosts_used"] == alone["hosts_used"] == 5
    assert sorted(c["migrations"] for c in fleet["clusters"]) == [0, 1]
    assert any("its share (0) of --max-migrations 1" in n for n in fleet["notes"])


@pytest.mark.parametrize("budget", [7, 25])
def test_a_fleets_budget_holds_in_a_process_pool_too(runner: CliRunner, fleet, budget):
    """The clusters packed again within their shares give the same plan on two processes (each
    cluster's first plan within the budget needs 6 or more migrations: together, over it)."""
    args = [*PACK, *fleet, "--max-migrations", str(budget)]
    one, two = (runner.invoke(app, [*args, "--jobs", j]) for j in ("1", "2"))
    assert one.exit_code == two.exit_code == 0, one.output + two.output
    doc = json.loads(one.stdout)
    assert len(doc["migrations"]) <= budget and one.stdout == two.stdout
    assert doc["hosts_used"] < doc["hosts_before"] or budget == 0


def test_a_fleets_budget_is_shared_from_each_clusters_trade_off(runner, tmp_path):
    """Each cluster frees a host per 4 migrations (5 hosts at 0 up to 2 at 12): within 16 in
    all, 6 hosts. The shares were drawn from the clusters' plans alone (2 hosts at 12, or today),
    so the other cluster got nothing and 4 migrations went unused (7 hosts), unless --frontier
    was given (found by a tester): a display option changed the plan."""
    files = [str(p) for p in write_fleet(tmp_path, 2, 20, 5, 288)]
    args = [*PACK, *files, "--jobs", "1", "--max-migrations", "16"]
    plain, shown = (runner.invoke(app, [*args, *extra]) for extra in ([], ["--frontier"]))
    doc = json.loads(plain.stdout)
    assert doc["hosts_used"] == 6 and len(doc["migrations"]) <= 16
    assert doc["placement"] == json.loads(shown.stdout)["placement"]


#: In each cluster two 8-vCPU VMs at 60% share a1 or b1 (over its limit): one must move.
REPAIRS = west_and_east(3) + "".join(
    f"  - {{name: {c}{v}, host: {c}{h}, vcpus: {n}, memory: 4GiB, cpu: [{p}, {p}]}}\n"
    for c in "ab"
    for v, h, n, p in (("a", 1, 8, 60), ("b", 1, 8, 60), ("c", 2, 2, 15), ("d", 3, 2, 15))
)


@pytest.mark.parametrize(("budget", "hosts"), [(1, None), (2, 6), (3, 5), (4, 4)])
def test_shares_of_a_budget_that_today_cannot_keep_are_drawn_again(runner, tmp_path, budget, hosts):
    """Today's placement (0 migrations) is no option here: a cluster given a share of 0 fails
    and the shares are drawn again. With 3 it said "no plan" though 5 hosts fit (found by a
    reviewer); 1 cannot repair both clusters."""
    path = tmp_path / "repairs.yaml"
    path.write_text(REPAIRS, encoding="utf-8")
    args = [*PACK, str(path), "--spare", "0", "--jobs", "1", "--max-migrations", str(budget)]
    result = runner.invoke(app, args)
    doc = json.loads(result.stdout)
    assert doc["feasible"] is (hosts is not None)
    assert result.exit_code == (0 if hosts else 1)
    if hosts:
        assert len(doc["migrations"]) <= budget and doc["hosts_used"] == hosts
    else:  # each cluster needs a repair: 2 in all
        assert any(
            "no plan of the fleet fits within --max-migrations 1: its clusters need at least 2 "
            "migrations in all (west 1, east 1)" in n
            for n in doc["notes"]
        )


def test_an_unknown_cluster_is_a_usage_error_naming_the_clusters(runner: CliRunner, fleet):
    result = runner.invoke(app, [*PACK, *fleet, "--cluster", "c0"])
    assert result.exit_code == 2
    assert "--cluster: no host is in cluster 'c0'" in result.stderr
    assert "the inventory has 'c00', 'c01', 'c02'" in result.stderr


def test_the_table_groups_hosts_by_cluster(runner: CliRunner, fleet):
    result = runner.invoke(app, ["pack", *fleet, "-f", "text", "--time-limit", "1", "-j", "1"])
    assert result.exit_code == 0, result.output
    headers = [line for line in result.stdout.splitlines() if line.startswith("cluster ")]
    assert headers == ["cluster c00:", "cluster c01:", "cluster c02:"]


def test_a_fleet_without_clusters_has_no_clusters_key(runner: CliRunner, tmp_path: Path):
    plain = [str(p) for p in write_fleet(tmp_path, 1, 20, 4, 288, named=False)]
    doc = json.loads(runner.invoke(app, [*PACK, *plain]).stdout)
    assert "clusters" not in doc


def test_check_evacuable_empties_a_host_within_its_cluster_and_names_it(runner, write):
    path = str(write("small.yaml", SMALL))
    result = runner.invoke(app, ["check", "--evacuable", path])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        f"{path}:5:12: error: hosts[b1]: host b1 in cluster 'east' cannot be evacuated now: "
        "e1: may only run on b1 (the only hosts with room for it), which is being evacuated  "
        "[evacuable]"
    )
    west = runner.invoke(app, ["check", "--evacuable", path, "--cluster", "west"])
    assert west.exit_code == 0, west.output


def test_evacuate_moves_only_within_the_named_hosts_clusters(runner: CliRunner, fleet):
    files = [x for f in fleet for x in ("-i", f)]
    args = ["evacuate", "c01-esx000", "c02-esx001", *files, "-f", "json", "--time-limit", "1"]
    one = runner.invoke(app, [*args, "-j", "1"])
    two = runner.invoke(app, [*args, "-j", "2"])
    assert (one.exit_code, two.exit_code) == (0, 0), one.output
    assert one.stdout == two.stdout
    doc = json.loads(one.stdout)
    assert doc["evacuated"] == ["c01-esx000", "c02-esx001"]
    assert [c["name"] for c in doc["clusters"]] == ["c01", "c02"]
    assert doc["total_seconds"] == max(c["total_seconds"] for c in doc["clusters"])
    for move in doc["migrations"]:
        assert move["vm"][:3] == move["from"][:3] == move["to"][:3]


CROSSED = """
version: 1
hosts:
  - {name: a1, cpus: 8, memory: 64GiB, cluster: west}
  - {name: b1, cpus: 32, memory: 256GiB, cluster: east}
  - {name: b2, cpus: 32, memory: 256GiB, cluster: east}
vms:
  - {name: w1, host: a1, vcpus: 16, memory: 4GiB, cpu: [10, 20]}
  - {name: w2, host: a1, vcpus: 2, memory: 128GiB, cpu: [10, 20]}
  - {name: e1, host: b1, vcpus: 2, memory: 4GiB, cpu: [10, 20]}
  - {name: e2, host: b2, vcpus: 2, memory: 4GiB, cpu: [10, 20]}
  - {name: e3, host: b2, vcpus: 2, memory: 4GiB, cpu: [10, 20]}
rules:
  - {name: apart, type: anti-affinity, vms: [e1, e2, e3]}
"""


def test_check_judges_each_vm_by_the_hosts_of_its_own_cluster(runner, write):
    """w1 and w2 would fit on east's hosts, but they can never go there: they fit nowhere. The
    fleet has three hosts for three VMs kept apart, but they can only spread over east's two."""
    path = str(write("crossed.yaml", CROSSED))
    result = runner.invoke(app, ["check", path])
    assert result.exit_code == 1
    nowhere = [line for line in result.stdout.splitlines() if "[vm-fits-nowhere]" in line]
    assert [line.split(": ")[2] for line in nowhere] == ["vms[w1]", "vms[w2]"]
    conflicts = [line for line in result.stdout.splitlines() if "[rule-conflict]" in line]
    assert len(conflicts) == 1 and ": apart: " in conflicts[0], result.stdout
    west = runner.invoke(app, ["check", path, "--cluster", "west"])
    assert "rule-conflict" not in west.stdout and "vm-fits-nowhere" in west.stdout


def test_evacuate_says_how_long_the_longest_cluster_takes(runner: CliRunner, fleet):
    """Clusters migrate side by side: the summary line's duration is the JSON's total_seconds
    (the longest cluster's), not the sum of every cluster's waves."""
    from vmplan.timefmt import format_duration

    files = [x for f in fleet for x in ("-i", f)]
    hosts = ["c00-esx000", "c01-esx001", "c01-esx002"]
    args = ["evacuate", *hosts, *files, "--time-limit", "1", "-j", "1"]
    doc = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)
    lockstep = sum(w["seconds"] for w in doc["waves"])  # every wave waits for every cluster
    assert doc["total_seconds"] == max(c["total_seconds"] for c in doc["clusters"]) < lockstep
    text = runner.invoke(app, [*args, "-f", "text"]).stdout
    line = next(x for x in text.splitlines() if x.startswith("Evacuate "))
    assert f"about {format_duration(doc['total_seconds'])};" in line, line


def _group(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


@pytest.mark.parametrize(
    ("sig", "code", "word", "settle"),
    [
        (signal.SIGINT, 130, "interrupted", 1.0),
        (signal.SIGTERM, 143, "terminated", 1.0),
        (signal.SIGINT, 130, "interrupted", 0.0),  # as the worker starts up
    ],
)
def test_a_signal_while_a_process_pool_solves_stops_every_worker(
    tmp_path: Path, sig: signal.Signals, code: int, word: str, settle: float
):
    """A signal to the whole process group (as Ctrl-C sends it) while vmplan and its worker pack
    (the resource tracker is the third process), or as the worker starts: vmplan ends at once
    with the signal's code and its one line (no traceback from a worker that was starting, no
    warning from the resource tracker about the pool's queues), waits for no pending cluster,
    and leaves no process behind."""
    files = [str(p) for p in write_fleet(tmp_path, 10, 1000, 40, 2016)]  # a minute of work
    cmd = [sys.executable, "-m", "vmplan", *PACK, *files, "-j", "2"]
    proc = interruptible(cmd, start_new_session=True)
    with proc:
        for _ in range(1200):  # until the worker runs (at most two minutes)
            if proc.poll() is not None or len(_group(proc.pid)) >= 3:
                break
            time.sleep(0.1)
        time.sleep(settle)  # vmplan and the worker are packing by then
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        signalled = time.monotonic()
        os.killpg(proc.pid, sig)
        _, errors = proc.communicate(timeout=60)
        took = time.monotonic() - signalled
    assert proc.returncode == code, errors
    assert errors == f"vmplan: {word}; nothing was written\n"
    assert took < 5, f"waited {took:.1f} s for clusters that were cancelled"
    for _ in range(50):
        if not _group(proc.pid):
            break
        time.sleep(0.1)
    assert _group(proc.pid) == []


#: A process pool's queue that nothing has freed when vmplan exits (as after a signal, where the
#: garbage collector may not have got to the pool), then vmplan's own exit.
LEFT_BEHIND = """
import multiprocessing, sys
from vmplan import cli
if __name__ == "__main__":
    left = multiprocessing.get_context("spawn").Queue()
    sys.argv = ["vmplan", "--version"]
    cli.main()
"""


def test_vmplan_exits_without_leaving_a_pools_semaphores_to_the_resource_tracker(tmp_path):
    """vmplan leaves with os._exit (no teardown), which skipped what the interpreter's exit does
    for multiprocessing: the tracker then warned of "leaked semaphore objects" after a signal
    (seen once in CI on the test above)."""
    script = tmp_path / "left.py"
    script.write_text(LEFT_BEHIND, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("vmplan ") and done.stderr == ""


def test_a_worker_killed_while_it_packs_is_a_clear_error_and_leaves_no_process(tmp_path: Path):
    """The OOM killer (here SIGKILL) ends vmplan's worker: vmplan says so and exits 2, with no
    traceback and no process left; it does not pack on with a pool that is gone."""
    files = [str(p) for p in write_fleet(tmp_path, 10, 1000, 40, 2016)]  # a minute of work
    cmd = [sys.executable, "-m", "vmplan", *PACK, *files, "-j", "2"]
    proc = interruptible(cmd, start_new_session=True)
    with proc:
        worker = None
        for _ in range(1200):  # until the worker runs (at most two minutes)
            worker = next((p for p in _group(proc.pid) if "spawn_main" in _cmdline(p)), None)
            if proc.poll() is not None or worker is not None:
                break
            time.sleep(0.1)
        time.sleep(1.0)  # packing by now
        assert proc.poll() is None and worker is not None
        os.kill(worker, signal.SIGKILL)
        _, errors = proc.communicate(timeout=120)
    assert proc.returncode == 2, errors
    assert errors == (
        "error: a worker process ended abruptly (killed, or out of memory?); "
        "run again with a lower --jobs\n"
    )
    for _ in range(50):
        if not _group(proc.pid):
            break
        time.sleep(0.1)
    assert _group(proc.pid) == []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_an_infeasible_fleet_plan_is_read_back_with_its_bound_above_the_hosts(
    runner: CliRunner, write, tmp_path: Path
):
    """Cluster east has one host: --spare 1 cannot keep room there, and the plan says it needs
    more hosts than the inventory has. That plan is still a plan report and backtest can read."""
    path = str(write("small.yaml", SMALL))
    plan = tmp_path / "plan.json"
    result = runner.invoke(app, ["pack", path, "-o", str(plan)])
    assert result.exit_code == 1, result.output
    doc = json.loads(plan.read_text())
    assert doc["feasible"] is False and doc["lower_bound"] == 4
    report = runner.invoke(app, ["report", path, "--plan", str(plan), "-o", str(tmp_path / "r")])
    assert report.exit_code == 0, report.output
    doc["feasible"] = True  # a feasible plan can never need more hosts than there are
    plan.write_text(json.dumps(doc))
    refused = runner.invoke(app, ["report", path, "--plan", str(plan), "-o", str(tmp_path / "r")])
    assert refused.exit_code == 2
    assert "expected a host count up to 3 (the inventory's hosts), got 4" in refused.stderr
