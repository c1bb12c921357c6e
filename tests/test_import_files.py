"""`vmplan import` from saved files: every source's fixture gives the same fleet, the result
loads, packs, evacuates and reports unchanged, and every broken variant gets its exact message.

The fixtures are written by tests/data/import/generate.py (its docstring gives the fleet).
"""

from __future__ import annotations

import csv
import os
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vmplan.cli import app
from vmplan.importers import longcsv, tables
from vmplan.importers.model import CpuUnit
from vmplan.inventory import load
from vmplan.problems import InputError

DATA = Path(__file__).resolve().parent / "data" / "import"
PROM = [
    f"--file=prometheus/{k}.json" for k in ("cpu", "vcpus", "memory", "host-cores", "host-memory")
]
SOURCES = {
    "prometheus": ["prometheus", *PROM],
    "csv": ["csv", "csv/series.csv", "--hosts", "csv/hosts.csv"],
    "proxmox": [
        "proxmox",
        "--resources=proxmox/resources.json",
        "--nodes=proxmox/nodes.json",
        "--rrd=proxmox/rrd",
        "--interval=30m",
    ],
    "vsphere": [
        "vsphere",
        "--rvtools=vsphere/vInfo.csv",
        "--rvtools=vsphere/vHost.csv",
        "--stats=vsphere/getstat.csv",
    ],
}


@pytest.fixture
def here(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(DATA)
    return DATA


def run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["import", *args])
    return result.exit_code, result.output


def columns(path: Path) -> dict[str, list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return {name: [r[j + 1] for r in rows[1:]] for j, name in enumerate(rows[0][1:])}


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_every_source_gives_the_same_fleet(
    source: str, here: Path, tmp_path: Path, runner: CliRunner
) -> None:
    out = tmp_path / "fleet.yaml"
    code, text = run(runner, *SOURCES[source], "-o", str(out))
    assert code == 0, text
    assert ": 2 hosts, 3 VMs" in text
    assert f"wrote {out} and {tmp_path / 'fleet.cpu.csv'}" in text
    inv = load([out]).inventory
    assert [(h.name, h.cores, h.memory_bytes) for h in inv.hosts] == [
        ("hv01", 16, 128 << 30),
        ("hv02", 8, 64 << 30),
    ]
    assert [(v.name, v.host, v.vcpus, v.memory_bytes) for v in inv.vms] == [
        ("app01", "hv02", 1, 2 << 30),
        ("db01", "hv01", 4, 16 << 30),
        ("web01", "hv01", 2, 4 << 30),
    ]
    series = columns(tmp_path / "fleet.cpu.csv")
    assert set(series["app01"]) == {"50"}
    assert set(series["db01"]) == {"25"}
    assert sorted(set(series["web01"])) == ["10", "60"]  # the 08:00 peak survives resampling
    n = 48 if source == "proxmox" else 288
    assert len(series["web01"]) == n
    assert series["web01"].index("60") == 96 * n // 288


def test_skipped_things_are_named_with_why(here: Path, tmp_path: Path, runner: CliRunner) -> None:
    _code, text = run(runner, *SOURCES["proxmox"], "-o", str(tmp_path / "x.yaml"))
    assert "  tmpl01: a template (vmid 900)\n" in text
    assert "  old01: stopped, not running (vmid 901)\n" in text
    _code, text = run(runner, *SOURCES["prometheus"], "-o", str(tmp_path / "p.yaml"))
    assert (
        '  ghost: a series with no VM in the inventory (prometheus/cpu.json {domain="ghost", '
        'instance="hv02:9177", job="libvirt"})\n'
    ) in text
    _code, text = run(runner, *SOURCES["vsphere"], "-o", str(tmp_path / "v.yaml"))
    assert "  old01: poweredOff, not powered on\n" in text
    assert "  vsphere/getstat.csv: 864 row(s) of other metrics or per-CPU instances\n" in text


def test_rvtools_without_series_names_the_vms_and_still_loads(
    here: Path, tmp_path: Path, runner: CliRunner
) -> None:
    out = tmp_path / "old.yaml"
    code, text = run(
        runner,
        "vsphere",
        "--rvtools=vsphere/vInfo-old.csv",
        "--rvtools=vsphere/vHost-old.csv",
        "-o",
        str(out),
    )
    assert code == 0, text
    assert "  3 without a series (loaded as 100% busy): app01, db01, web01\n" in text
    assert "maintenance: true" in out.read_text(encoding="utf-8")
    check = runner.invoke(app, ["check", str(out)])
    assert check.exit_code == 0, check.output
    assert "3 missing sample(s)" not in check.output  # one sample each, filled and named
    assert check.output.count("filled with 100% (no sample known)") == 3


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_the_result_packs_evacuates_and_reports(
    source: str, here: Path, tmp_path: Path, runner: CliRunner
) -> None:
    out = tmp_path / "fleet.yaml"
    assert run(runner, *SOURCES[source], "-o", str(out))[0] == 0
    pack = runner.invoke(app, ["pack", str(out), "--spare", "0", "-f", "json"])
    assert pack.exit_code == 0, pack.output
    evac = runner.invoke(app, ["evacuate", "hv01", "-i", str(out), "-f", "json"])
    assert evac.exit_code in (0, 1), evac.output  # hv02 may be in maintenance: then no room
    report = runner.invoke(app, ["report", str(out), "-o", str(tmp_path / "r.html")])
    assert report.exit_code == 0, report.output


def test_the_same_input_gives_the_same_bytes(here: Path, tmp_path: Path, runner: CliRunner) -> None:
    for name in ("a", "b"):
        assert run(runner, *SOURCES["prometheus"], "-o", str(tmp_path / f"{name}.yaml"))[0] == 0
    a, b = (tmp_path / "a.cpu.csv").read_bytes(), (tmp_path / "b.cpu.csv").read_bytes()
    assert a == b
    ya = (tmp_path / "a.yaml").read_text(encoding="utf-8").replace("a.cpu.csv", "X")
    yb = (tmp_path / "b.yaml").read_text(encoding="utf-8").replace("b.cpu.csv", "X")
    assert ya == yb


# --- broken input: exact messages, exit 2, nothing written ------------------------------------

BROKEN = {
    "missing column": (
        ["csv", "bad/csv/missing-column.csv"],
        [
            "bad/csv/missing-column.csv:1:1: error: header: missing column 'cpu'; the header "
            "has timestamp, vm, load  [input]"
        ],
    ),
    "bad cells": (
        ["csv", "bad/csv/cells.csv"],
        [
            "bad/csv/cells.csv:2:28: error: cpu: expected a number (percent), got 'ten'  [input]",
            "bad/csv/cells.csv:3:1: error: timestamp: expected an ISO 8601 time like "
            "2026-11-20T00:05:00Z or Unix seconds, got 'yesterday'  [input]",
            "bad/csv/cells.csv:4:38: error: memory: expected a size with a unit (KiB, MiB, GiB, "
            "TiB, KB, MB, GB, TB), e.g. '16GiB', got '4'  [input]",
        ],
    ),
    "wrong unit": (
        ["csv", "bad/csv/wrong-unit.csv", "--cpu-unit", "fraction", "--hosts", "csv/hosts.csv"],
        [
            "bad/csv/wrong-unit.csv:3:1: error: web01: CPU use of 60 (as fraction) is 6000% of "
            "the VM's vCPUs; expected at most 100%: is the unit right?  [import]"
        ],
    ),
    "duplicate hosts": (
        ["csv", "csv/series.csv", "--hosts", "bad/csv/hosts-duplicate.csv"],
        ["bad/csv/hosts-duplicate.csv:4:1: error: name: host 'hv01' is also on line 2  [input]"],
    ),
    "no hosts": (
        ["csv", "csv/series.csv"],
        [
            "csv/series.csv: error: hosts.hv01: host 'hv01' holds db01, web01 but the source "
            "gives no cores and memory for it  [import]",
            "csv/series.csv: error: hosts.hv02: host 'hv02' holds app01 but the source gives no "
            "cores and memory for it  [import]",
        ],
    ),
    "not UTF-8": (
        ["csv", "bad/csv/latin1.csv"],
        [
            "bad/csv/latin1.csv:2:25: error: expected UTF-8 text, found the byte 0xe9; save the "
            "file as UTF-8 (Excel: CSV UTF-8)  [input]"
        ],
    ),
    "cut-off response": (
        ["prometheus", "--file=bad/prometheus/cpu.json", *PROM[1:]],
        ["bad/prometheus/cpu.json:1:10848: error: not JSON: Expecting ',' delimiter  [prometheus]"],
    ),
    "instant response": (
        ["prometheus", "--file=bad/prometheus/vcpus-instant.json", *PROM[:1], *PROM[2:]],
        [
            "bad/prometheus/vcpus-instant.json: error: expected a query_range response "
            "(resultType 'matrix'), got 'vector'; save /api/v1/query_range, not /api/v1/query  "
            "[prometheus]"
        ],
    ),
    "unnamed saved response": (
        ["prometheus", "--file=csv/hosts.csv", *PROM],
        [
            "csv/hosts.csv: error: cannot tell which query this file answers: expected a name "
            "like cpu*.json, vcpus*.json, memory*.json, host-cores*.json, host-memory*.json  "
            "[prometheus]"
        ],
    ),
    "duplicate guests": (
        [
            "proxmox",
            "--resources=bad/proxmox/resources-duplicate.json",
            "--nodes=proxmox/nodes.json",
        ],
        [
            "bad/proxmox/resources-duplicate.json:28:2: error: [2].name: guest name 'web01' is "
            "also at line 2, column 2; names must be unique  [proxmox]"
        ],
    ),
    "bad rrd entry": (
        [
            "proxmox",
            "--resources=proxmox/resources.json",
            "--nodes=proxmox/nodes.json",
            "--rrd=bad/proxmox/rrd",
        ],
        [
            "bad/proxmox/rrd/100.json:1:36: error: [1].time: expected Unix seconds, got 'noon'  [proxmox]"
        ],
    ),
    "duplicate VMs": (
        ["vsphere", "--rvtools=bad/vsphere/vInfo-duplicate.csv", "--rvtools=vsphere/vHost.csv"],
        [
            "bad/vsphere/vInfo-duplicate.csv:3:1: error: vm: VM 'web01' is also on line 2; names "
            "must be unique  [input]"
        ],
    ),
    "stats in MHz": (
        [
            "vsphere",
            "--rvtools=vsphere/vInfo.csv",
            "--rvtools=vsphere/vHost.csv",
            "--stats=bad/vsphere/getstat-mhz.csv",
        ],
        [
            "bad/vsphere/getstat-mhz.csv:2:51: error: unit: expected the unit '%' for "
            "cpu.usage.average, got 'MHz'  [input]"
        ],
    ),
    "vHost columns": (
        ["vsphere", "--rvtools=vsphere/vInfo.csv", "--rvtools=bad/vsphere/vHost-missing.csv"],
        [
            "bad/vsphere/vHost-missing.csv:1:1: error: header: missing column '# Memory' or "
            "'Memory' or '# Memory MiB' or '# Memory MB' or 'Memory MiB' or 'Memory MB'; the "
            "header has Host, Cluster, Cores, RAM  [input]"
        ],
    ),
    "coarse series": (
        [
            "proxmox",
            "--resources=proxmox/resources.json",
            "--nodes=proxmox/nodes.json",
            "--rrd=proxmox/rrd",
        ],
        [
            "proxmox/rrd/100.json: error: interval: 3 VM(s) (app01, db01, web01) have samples "
            "every 30m, coarser than the interval of 5m; import with --interval 30m (values are "
            "never invented)  [import]"
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_input_gets_its_exact_message(
    case: str, here: Path, tmp_path: Path, runner: CliRunner
) -> None:
    args, messages = BROKEN[case]
    out = tmp_path / "out.yaml"
    code, text = run(runner, *args, "-o", str(out))
    assert code == 2, text
    found = [line for line in text.splitlines() if ": error: " in line]
    assert found == messages
    assert not out.exists() and not (tmp_path / "out.cpu.csv").exists()


def test_a_series_for_an_unknown_vm_is_skipped(
    here: Path, tmp_path: Path, runner: CliRunner
) -> None:
    args = ["csv", "bad/csv/unknown-vm.csv", "--vms", "bad/csv/vms.csv", "--hosts", "csv/hosts.csv"]
    code, text = run(runner, *args, "-o", str(tmp_path / "u.yaml"))
    assert code == 0, text
    assert "  ghost: a series with no VM in the inventory (bad/csv/unknown-vm.csv)\n" in text
    assert list(columns(tmp_path / "u.cpu.csv")) == ["web01"]


def test_a_skewed_clock_lands_on_the_nearest_interval(
    here: Path, tmp_path: Path, runner: CliRunner
) -> None:
    args = ["csv", "bad/csv/clock-skew.csv", "--hosts", "csv/hosts.csv"]
    assert run(runner, *args, "-o", str(tmp_path / "s.yaml"))[0] == 0
    text = (tmp_path / "s.cpu.csv").read_text(encoding="utf-8")
    assert text == (
        "timestamp,web01\n2026-11-20T00:00:00Z,10\n2026-11-20T00:05:00Z,20\n"
        "2026-11-20T00:10:00Z,30\n2026-11-20T00:15:00Z,40\n"
    )


def test_a_counter_reset_is_neither_a_spike_nor_a_dip(
    here: Path, tmp_path: Path, runner: CliRunner
) -> None:
    args = ["csv", "bad/csv/counter-reset.csv", "--cpu-unit", "counter", "--hosts", "csv/hosts.csv"]
    assert run(runner, *args, "-o", str(tmp_path / "c.yaml"))[0] == 0
    assert set(columns(tmp_path / "c.cpu.csv")["web01"]) == {"50"}  # 1 core of 2 vCPUs


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    line = b"2026-11-20T00:00:00Z,web01,10,hv01,2,4GiB\n"
    big.write_bytes(b"timestamp,vm,cpu,host,vcpus,memory\n" + line * ((3 << 20) // len(line) + 1))
    with pytest.raises(InputError) as info:
        longcsv.read_series(big, CpuUnit.PERCENT, max_bytes=2 << 20)
    assert [str(p) for p in info.value.problems] == [
        f"{big}: error: larger than the limit of 2 MiB; split it by time"
    ]
    assert tables.MAX_BYTES == 2 << 30


def test_the_output_never_replaces_an_input(tmp_path: Path, runner: CliRunner) -> None:
    series, hosts = tmp_path / "x.cpu.csv", tmp_path / "hosts.csv"
    series.write_bytes((DATA / "csv" / "series.csv").read_bytes())
    hosts.write_bytes((DATA / "csv" / "hosts.csv").read_bytes())
    before = series.read_bytes(), hosts.read_bytes()
    # -o an input itself, and an -o whose series CSV (NAME.cpu.csv) would be an input
    for out, clash in ((hosts, hosts), (tmp_path / "x.yaml", series)):
        code, text = run(runner, "csv", str(series), "--hosts", str(hosts), "-o", str(out))
        assert code == 2, text
        assert (
            text
            == f"error: refusing to write {clash}: it is the input {clash}; choose another -o\n"
        )
        assert (series.read_bytes(), hosts.read_bytes()) == before


def test_the_readmes_import_example_prints_what_it_shows(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (DATA.parent.parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("```console\n$ vmplan import proxmox ", 1)[1].split("```", 1)[0]
    command, shown = block.split("\n", 1)
    for name in ("resources.json", "nodes.json"):
        (tmp_path / name).write_bytes((DATA / "proxmox" / name).read_bytes())
    (tmp_path / "rrd").mkdir()
    for path in (DATA / "proxmox" / "rrd").iterdir():
        (tmp_path / "rrd" / path.name).write_bytes(path.read_bytes())
    monkeypatch.chdir(tmp_path)
    code, text = run(runner, "proxmox", *command.split())
    assert code == 0
    assert text == shown


@pytest.mark.parametrize("kind", ["device", "fifo", "directory", "csv is a fifo"])
def test_an_output_that_is_no_regular_file_is_refused(
    kind: str, tmp_path: Path, runner: CliRunner
) -> None:
    if kind == "device":
        out = Path("/dev/null")
        if not out.exists():
            pytest.skip("needs /dev/null")
    elif kind == "directory":
        out = tmp_path / "dir.yaml"
        out.mkdir()
    else:
        out = tmp_path / "f.yaml"
        os.mkfifo(out if kind == "fifo" else tmp_path / "f.cpu.csv")
    args = ["csv", str(DATA / "csv" / "series.csv"), "--hosts", str(DATA / "csv" / "hosts.csv")]
    code, text = run(runner, *args, "-o", str(out))
    assert code == 2
    shown = out if kind != "csv is a fifo" else tmp_path / "f.cpu.csv"
    assert text == f"error: {shown} is not a regular file; -o needs a file to write\n"
    if kind == "device":
        assert Path("/dev/null").is_char_device()


def test_an_output_in_a_missing_folder_is_a_clean_exit_2(tmp_path: Path, runner: CliRunner) -> None:
    args = ["csv", str(DATA / "csv" / "series.csv"), "--hosts", str(DATA / "csv" / "hosts.csv")]
    code, text = run(runner, *args, "-o", str(tmp_path / "nowhere" / "f.yaml"))
    assert code == 2
    assert text.splitlines()[-1] == (
        f"error: cannot write {tmp_path / 'nowhere' / 'f.cpu.csv'}: No such file or directory"
    )


def test_an_xlsx_workbook_asks_for_its_tabs_as_csv(tmp_path: Path, runner: CliRunner) -> None:
    book = tmp_path / "export.xlsx"
    with zipfile.ZipFile(book, "w") as z:  # an .xlsx is a zip of XML parts
        z.writestr("[Content_Types].xml", "<Types/>")
    code, text = run(runner, "vsphere", "--rvtools", str(book), "-o", str(tmp_path / "f.yaml"))
    assert code == 2
    assert text.splitlines()[0] == (
        f"{book}: error: an .xlsx workbook: save its vInfo and vHost tabs as CSV (File > Save As "
        "> CSV UTF-8) and give both  [vsphere]"
    )


def test_drs_rules_are_named_as_not_imported(tmp_path: Path, runner: CliRunner) -> None:
    vinfo = tmp_path / "vInfo.csv"
    text = (DATA / "vsphere" / "vInfo.csv").read_text(encoding="utf-8")
    vinfo.write_text(
        text.replace(
            "web01,poweredOn,False,2,4096,hv01,prod,",
            "web01,poweredOn,False,2,4096,hv01,prod,keep-apart",
        ),
        encoding="utf-8",
    )
    args = ["vsphere", "--rvtools", str(vinfo), "--rvtools", str(DATA / "vsphere" / "vHost.csv")]
    code, out = run(runner, *args, "-o", str(tmp_path / "f.yaml"))
    assert code == 0, out
    assert (
        "  Cluster rule(s): DRS rules of web01 are not imported (RVTools names rules, not their "
        "kind): write them under 'rules:'\n"
    ) in out


def test_a_wrong_vm_label_names_the_label_sets(
    here: Path, tmp_path: Path, runner: CliRunner
) -> None:
    code, text = run(
        runner, *SOURCES["prometheus"], "--vm-label", "name", "-o", str(tmp_path / "l.yaml")
    )
    assert code == 2
    errors = [line for line in text.splitlines() if ": error: " in line]
    assert errors[:2] == [
        "prometheus/cpu.json: error: 4 series like the ones below; the first 3 are shown  [prometheus]",
        'prometheus/cpu.json: error: {domain="app01", instance="hv02:9177", job="libvirt"}: the cpu '
        "series has no label 'name' (--vm-label); its labels are domain, instance, job  [prometheus]",
    ]
    assert len(errors) == 10  # 1 + 3 for cpu.json, 3 for memory.json, 3 for vcpus.json
