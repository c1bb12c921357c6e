"""`vmplan import prometheus --url` against a real Prometheus server backfilled with promtool.

The fleet is written as OpenMetrics text with known values (libvirt exporter and node_exporter
series, a CPU counter that resets), turned into TSDB blocks by ``promtool tsdb
create-blocks-from openmetrics``, and served by ``prometheus`` on a free loopback port. Under
``CI=true`` a missing server fails these tests (``.ci/run`` installs Debian's package).
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vmplan.cli import app
from vmplan.inventory import load

STEP = 60  # scrape interval of the written samples
HOURS = 3
# two hypervisors, as node_exporter sees them: cores and memory
HOSTS = {"kvm01": (8, 32 << 30), "kvm02": (4, 16 << 30)}
# VMs: host, vCPUs, memory, cores used in the first and the second half of the window
VMS = {
    "web01": ("kvm01", 2, 4 << 30, 0.5, 1.5),
    "db01": ("kvm02", 4, 8 << 30, 1.0, 1.0),  # its counter resets half way
    "idle01": ("kvm01", 1, 1 << 30, 0.0, 0.0),
}
RESET_VM = "db01"


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run installs Debian's prometheus package)")
    pytest.skip(f"{reason}: apt-get install prometheus")


def openmetrics(t0: int) -> str:
    """The fleet's series over HOURS hours from t0, one sample a minute, in OpenMetrics text."""
    n = HOURS * 3600 // STEP
    out = ["# TYPE libvirt_domain_info_cpu_time_seconds counter"]
    for name, (host, _vcpus, _mem, first, second) in VMS.items():
        counter = 0.0
        for k in range(n):
            if name == RESET_VM and k == n // 2:
                counter = 0.0  # the domain restarted: libvirt counts from zero again
            if k:
                counter += (first if k < n // 2 else second) * STEP
            out.append(
                f'libvirt_domain_info_cpu_time_seconds_total{{domain="{name}",'
                f'instance="{host}:9177"}} {counter:.3f} {t0 + k * STEP}'
            )
    # a domain libvirt knows but with no vCPU gauge: its series has no VM
    out += [
        f'libvirt_domain_info_cpu_time_seconds_total{{domain="ghost",instance="kvm02:9177"}} '
        f"{k * 6.0} {t0 + k * STEP}"
        for k in range(n)
    ]
    for family, index in (
        ("libvirt_domain_info_virtual_cpus", 1),
        ("libvirt_domain_info_maximum_memory_bytes", 2),
    ):
        out.append(f"# TYPE {family} gauge")
        for name, spec in VMS.items():
            out += [
                f'{family}{{domain="{name}",instance="{spec[0]}:9177"}} {spec[index]} '
                f"{t0 + k * STEP}"
                for k in range(n)
            ]
    out.append("# TYPE node_cpu_seconds counter")
    for host, (cores, _mem) in HOSTS.items():
        for cpu in range(cores):
            out += [
                f'node_cpu_seconds_total{{cpu="{cpu}",instance="{host}:9100",mode="idle"}} '
                f"{k * 30.0} {t0 + k * STEP}"
                for k in range(n)
            ]
    out.append("# TYPE node_memory_MemTotal_bytes gauge")
    for host, (_cores, mem) in HOSTS.items():
        out += [
            f'node_memory_MemTotal_bytes{{instance="{host}:9100"}} {mem} {t0 + k * STEP}'
            for k in range(n)
        ]
    out.append("# EOF")
    return "\n".join(out) + "\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A backfilled Prometheus on 127.0.0.1; yields its URL and the first sample's time."""
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if prometheus is None or promtool is None:
        _fail_or_skip("prometheus and promtool are not installed")
    assert prometheus is not None and promtool is not None
    root = tmp_path_factory.mktemp("prometheus")
    t0 = (int(time.time()) - 7 * 3600) // 3600 * 3600  # whole hours, well before the head
    source = root / "fleet.om"
    source.write_text(openmetrics(t0), encoding="utf-8")
    data = root / "data"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    config = root / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n", encoding="utf-8")
    port = _free_port()
    log = (root / "prometheus.log").open("wb")
    # setpriv (util-linux) has the kernel end the server when pytest ends, even by SIGKILL; the
    # finaliser below ends it otherwise
    setpriv = shutil.which("setpriv")
    guard = [setpriv, "--pdeathsig", "TERM"] if setpriv else []
    proc = subprocess.Popen(
        [
            *guard,
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=30d",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
        else:
            pytest.fail("prometheus did not become ready in 30 s")
        if proc.poll() is not None:
            log.close()
            pytest.fail("prometheus exited:\n" + (root / "prometheus.log").read_text()[-2000:])
        yield url, t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _columns(path: Path) -> dict[str, list[float | None]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    names = rows[0][1:]
    return {
        n: [float(r[j + 1]) if r[j + 1] else None for r in rows[1:]] for j, n in enumerate(names)
    }


def _import(runner: CliRunner, url: str, t0: int, out: Path, *extra: str) -> tuple[int, str]:
    # 10 minutes in, so every 5m rate window is full; to 10 minutes before the end
    start, end = _iso(t0 + 600), _iso(t0 + HOURS * 3600 - 600)
    args = ["import", "prometheus", "--url", url, "--start", start, "--end", end, "-o", str(out)]
    result = runner.invoke(app, [*args, *extra])
    return result.exit_code, result.output


def test_import_from_a_live_server_gives_the_values_written(
    server: tuple[str, int], tmp_path: Path, runner: CliRunner
) -> None:
    url, t0 = server
    out = tmp_path / "fleet.yaml"
    code, text = _import(runner, url, t0, out)
    assert code == 0, text
    assert "2 hosts, 3 VMs" in text
    assert "ghost: a series with no VM in the inventory" in text
    loaded = load([out])
    inv = loaded.inventory
    assert [h.name for h in inv.hosts] == ["kvm01", "kvm02"]
    assert [h.cores for h in inv.hosts] == [8, 4]
    assert [h.memory_bytes for h in inv.hosts] == [32 << 30, 16 << 30]
    by_vm = {v.name: v for v in inv.vms}
    assert set(by_vm) == set(VMS)
    for name, (host, vcpus, mem, _a, _b) in VMS.items():
        vm = by_vm[name]
        assert (vm.host, vm.vcpus, vm.memory_bytes) == (host, vcpus, mem)
    series = _columns(tmp_path / "fleet.cpu.csv")
    n = len(series["web01"])
    assert n == (HOURS * 3600 - 1200) // 300 + 1
    # the written percentages are the cores used over the VM's vCPUs, rounded up to tenths
    assert all(v is not None for col in series.values() for v in col)
    web = [v or 0.0 for v in series["web01"]]
    assert max(web) == pytest.approx(75.0, abs=0.2)
    assert web[0] == pytest.approx(25.0, abs=0.2)
    assert web[-1] == pytest.approx(75.0, abs=0.2)
    # the counter reset half way is neither a spike nor a dip beyond one sample's rate
    db = [v or 0.0 for v in series["db01"]]
    assert max(db) == pytest.approx(25.0, abs=0.2)
    assert min(db) >= 25.0 * (1 - STEP / 300) - 0.2
    assert max(v or 0.0 for v in series["idle01"]) == 0.0


def test_a_raw_counter_is_rated_here_with_its_reset(
    server: tuple[str, int], tmp_path: Path, runner: CliRunner
) -> None:
    url, t0 = server
    out = tmp_path / "raw.yaml"
    code, text = _import(
        runner,
        url,
        t0,
        out,
        "--cpu-query",
        "libvirt_domain_info_cpu_time_seconds_total",
        "--cpu-unit",
        "counter",
    )
    assert code == 0, text
    db = [v or 0.0 for v in _columns(tmp_path / "raw.cpu.csv")["db01"]]
    assert max(db) == pytest.approx(25.0, abs=0.2)  # no spike from the reset
    # the interval of the reset knows only what was counted since it: lower, never negative
    off = [v for v in db if abs(v - 25.0) > 0.2]
    assert len(off) == 1
    assert 0 < off[0] < 25.0


def test_a_query_the_server_refuses_is_named_with_exit_2(
    server: tuple[str, int], tmp_path: Path, runner: CliRunner
) -> None:
    url, t0 = server
    out = tmp_path / "bad.yaml"
    code, text = _import(runner, url, t0, out, "--vcpus-query", "sum(")
    assert code == 2
    assert f"{url}: error: vcpus query sum(: the server answered 400 Bad Request: bad_data:" in text
    assert not out.exists()


def test_the_imported_fleet_packs_evacuates_and_reports(
    server: tuple[str, int], tmp_path: Path, runner: CliRunner
) -> None:
    url, t0 = server
    out = tmp_path / "fleet.yaml"
    assert _import(runner, url, t0, out)[0] == 0
    check = runner.invoke(app, ["check", str(out)])
    assert check.exit_code == 0, check.output
    pack = runner.invoke(app, ["pack", str(out), "--spare", "0", "-f", "json"])
    assert pack.exit_code == 0, pack.output
    assert '"hosts_used": 1' in pack.output
    evac = runner.invoke(app, ["evacuate", "kvm02", "-i", str(out), "-f", "json"])
    assert evac.exit_code == 0, evac.output
    report = runner.invoke(app, ["report", str(out), "-o", str(tmp_path / "r.html")])
    assert report.exit_code == 0, report.output
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_range_over_the_servers_point_limit_is_asked_for_in_chunks(
    server: tuple[str, int], tmp_path: Path, runner: CliRunner
) -> None:
    url, t0 = server
    out = tmp_path / "fine.yaml"
    # 4 hours at 1 s: 14,401 points per series, more than the 11,000 the server answers at once
    start, end = t0 + 600, t0 + 600 + 4 * 3600
    args = ["--url", url, "--start", _iso(start), "--end", _iso(end), "--interval", "1s"]
    # asked at once, the server refuses it
    query = urllib.parse.urlencode({"query": "up", "start": start, "end": end, "step": 1})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}/api/v1/query_range?{query}", timeout=30)
    assert b"exceeded maximum resolution of 11,000 points" in refused.value.read()
    result = runner.invoke(app, ["import", "prometheus", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    web = _columns(tmp_path / "fine.cpu.csv")["web01"]
    assert len(web) == 4 * 3600 + 1
    known = [v for v in web if v is not None]
    assert max(known) == pytest.approx(75.0, abs=0.2)
    # the series ends with the data (HOURS after t0), and the last ~hour is left empty
    assert web[(HOURS * 3600 - 600) - 1] is not None
    assert web[-1] is None
