"""Writes the import fixtures in this folder: small, realistic exports of one fleet per source,
and hostile or broken variants of them. Run it to regenerate: ``python tests/data/import/generate.py``.

The fleet (the same in every source, so the tests can compare):

* hosts ``hv01`` (16 cores, 128 GiB) and ``hv02`` (8 cores, 64 GiB, in maintenance where the
  source can say so);
* ``web01`` on hv01, 2 vCPUs, 4 GiB: 10 % of its vCPUs, 60 % from 08:00 to 09:00;
* ``db01`` on hv01, 4 vCPUs, 16 GiB: 25 % all day;
* ``app01`` on hv02, 1 vCPU, 2 GiB: 50 % all day;
* ``tmpl01`` a template and ``old01`` powered off (skipped where the source has them);
* 24 hours from 2026-11-20T00:00:00Z in 5-minute samples (Proxmox's week rrd: 30 minutes).

Layout::

    prometheus/  cpu.json vcpus.json memory.json host-cores.json host-memory.json
                 saved /api/v1/query_range responses of the default queries (cpu in cores);
                 cpu.json also holds a series for 'ghost', a domain with no VM
    csv/         series.csv (timestamp,vm,cpu,host,vcpus,memory; cpu in percent), hosts.csv
    proxmox/     resources.json nodes.json rrd/100.json rrd/101.json rrd/102.json (pvesh output)
    vsphere/     vInfo.csv vHost.csv (RVTools 4.x names), vInfo-old.csv vHost-old.csv (RVTools
                 3.x names, MB), getstat.csv (PowerCLI Get-Stat | Export-Csv, with #TYPE line)
    bad/         one broken variant per file; tests/test_import_files.py names each message
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
T0 = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp())
STEP = 300
N = 24 * 3600 // STEP
GIB = 1 << 30
HOSTS = {"hv01": (16, 128 * GIB, False), "hv02": (8, 64 * GIB, True)}
VMS = {"web01": ("hv01", 2, 4 * GIB), "db01": ("hv01", 4, 16 * GIB), "app01": ("hv02", 1, 2 * GIB)}


def percent(vm: str, k: int) -> float:
    """The fleet's CPU in percent of the VM's vCPUs at sample k."""
    if vm == "web01":
        return 60.0 if 96 <= k < 108 else 10.0
    return {"db01": 25.0, "app01": 50.0}[vm]


def iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write(rel: str, text: str | bytes) -> None:
    path = HERE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="\n")


def number(v: float) -> str:
    """A sample value as Prometheus writes it (Go's shortest form: 137438953472, 0.2)."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def response(series: list[tuple[dict[str, str], list[tuple[int, float]]]]) -> str:
    result = [
        {"metric": labels, "values": [[t, number(v)] for t, v in points]}
        for labels, points in series
    ]
    doc = {"status": "success", "data": {"resultType": "matrix", "result": result}}
    return json.dumps(doc, separators=(",", ":")) + "\n"


def prometheus() -> None:
    times = [T0 + k * STEP for k in range(N)]
    cpu = [
        (
            {"domain": vm, "instance": f"{host}:9177", "job": "libvirt"},
            [(t, percent(vm, k) / 100 * vcpus) for k, t in enumerate(times)],
        )
        for vm, (host, vcpus, _m) in VMS.items()
    ]
    cpu.append(
        ({"domain": "ghost", "instance": "hv02:9177", "job": "libvirt"}, [(t, 0.5) for t in times])
    )
    write("prometheus/cpu.json", response(cpu))
    for kind, index in (("vcpus", 1), ("memory", 2)):
        write(
            f"prometheus/{kind}.json",
            response(
                [
                    (
                        {"domain": vm, "instance": f"{spec[0]}:9177"},
                        [(t, spec[index]) for t in times],
                    )
                    for vm, spec in VMS.items()
                ]
            ),
        )
    write(
        "prometheus/host-cores.json",
        response(
            [
                ({"instance": f"{h}:9100"}, [(t, c) for t in times])
                for h, (c, _m, _x) in HOSTS.items()
            ]
        ),
    )
    write(
        "prometheus/host-memory.json",
        response(
            [
                (
                    {"__name__": "node_memory_MemTotal_bytes", "instance": f"{h}:9100"},
                    [(t, m) for t in times],
                )
                for h, (_c, m, _x) in HOSTS.items()
            ]
        ),
    )
    # broken: cut off in the middle of a series
    text = response(cpu)
    write("bad/prometheus/cpu.json", text[: len(text) // 2])
    write(
        "bad/prometheus/vcpus-instant.json",
        json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}}),
    )


def csv_files() -> None:
    rows = ["timestamp,vm,cpu,host,vcpus,memory"]
    for k in range(N):
        for vm, (host, vcpus, mem) in VMS.items():
            rows.append(
                f"{iso(T0 + k * STEP)},{vm},{percent(vm, k):g},{host},{vcpus},{mem // GIB}GiB"
            )
    write("csv/series.csv", "\n".join(rows) + "\n")
    hosts = ["name,cpus,memory,maintenance"]
    hosts += [f"{h},{c},{m // GIB}GiB,{str(x).lower()}" for h, (c, m, x) in HOSTS.items()]
    write("csv/hosts.csv", "\n".join(hosts) + "\n")
    # broken variants
    write("bad/csv/missing-column.csv", "timestamp,vm,load\n2026-11-20T00:00:00Z,web01,10\n")
    write(
        "bad/csv/wrong-unit.csv",  # percent given, read with --cpu-unit fraction
        "timestamp,vm,cpu,host,vcpus,memory\n"
        "2026-11-20T00:00:00Z,web01,0.1,hv01,2,4GiB\n"
        "2026-11-20T00:05:00Z,web01,60,hv01,2,4GiB\n",
    )
    write(
        "bad/csv/cells.csv",
        "timestamp,vm,cpu,host,vcpus,memory\n"
        "2026-11-20T00:00:00Z,web01,ten,hv01,2,4GiB\n"
        "yesterday,web01,10,hv01,2,4GiB\n"
        "2026-11-20T00:10:00Z,web01,10,hv01,2,4\n",
    )
    write(
        "bad/csv/hosts-duplicate.csv",
        "name,cpus,memory\nhv01,16,128GiB\nhv02,8,64GiB\nhv01,32,256GiB\n",
    )
    write(
        "bad/csv/unknown-vm.csv",  # series only; VMs from csv/vms.csv, 'ghost' is not one
        "timestamp,vm,cpu\n2026-11-20T00:00:00Z,web01,10\n2026-11-20T00:00:00Z,ghost,99\n",
    )
    write("bad/csv/vms.csv", "name,host,vcpus,memory\nweb01,hv01,2,4GiB\n")
    write(
        "bad/csv/clock-skew.csv",  # a few seconds early or late, one row in another zone
        "timestamp,vm,cpu,host,vcpus,memory\n"
        "2026-11-20T00:00:03Z,web01,10,hv01,2,4GiB\n"
        "2026-11-20T00:04:58Z,web01,20,hv01,2,4GiB\n"
        "2026-11-20T01:10:01+01:00,web01,30,hv01,2,4GiB\n"
        "2026-11-20T00:14:59Z,web01,40,hv01,2,4GiB\n",
    )
    write(
        "bad/csv/counter-reset.csv",  # cumulative CPU-seconds of a 2-vCPU VM using 1 core; reset
        "timestamp,vm,cpu,host,vcpus,memory\n"
        + "".join(
            f"{iso(T0 + k * STEP)},web01,{c},hv01,2,4GiB\n"
            for k, c in enumerate([1000, 1300, 1600, 300, 600, 900])
        ),
    )
    write(
        "bad/csv/latin1.csv",
        "timestamp,vm,cpu,host,vcpus,memory\n2026-11-20T00:00:00Z,caf\xe9,10,hv01,2,4GiB\n".encode(
            "latin-1"
        ),
    )


def proxmox() -> None:
    nodes = [
        {"node": h, "status": "online", "maxcpu": c, "maxmem": m, "type": "node", "id": f"node/{h}"}
        for h, (c, m, _x) in HOSTS.items()
    ]
    write("proxmox/nodes.json", json.dumps(nodes) + "\n")
    guests = [
        {
            "id": f"qemu/{100 + i}",
            "vmid": 100 + i,
            "name": vm,
            "node": host,
            "type": "qemu",
            "status": "running",
            "maxcpu": vcpus,
            "maxmem": mem,
            "template": 0,
            "cpu": 0.01,
            "uptime": 86400,
        }
        for i, (vm, (host, vcpus, mem)) in enumerate(VMS.items())
    ]
    guests.append(
        {
            "id": "qemu/900",
            "vmid": 900,
            "name": "tmpl01",
            "node": "hv01",
            "type": "qemu",
            "status": "stopped",
            "maxcpu": 2,
            "maxmem": 2 * GIB,
            "template": 1,
        }
    )
    guests.append(
        {
            "id": "qemu/901",
            "vmid": 901,
            "name": "old01",
            "node": "hv02",
            "type": "qemu",
            "status": "stopped",
            "maxcpu": 2,
            "maxmem": 2 * GIB,
            "template": 0,
        }
    )
    write("proxmox/resources.json", json.dumps(guests) + "\n")
    for i, vm in enumerate(VMS):
        _host, vcpus, _mem = VMS[vm]
        entries = []
        for k in range(0, N, 6):  # 30-minute steps, the MAX of each
            peak = max(percent(vm, j) for j in range(k, k + 6)) / 100
            entries.append(
                {"time": T0 + k * STEP, "cpu": round(peak, 4), "maxcpu": vcpus, "mem": 1.5 * GIB}
            )
        write(f"proxmox/rrd/{100 + i}.json", json.dumps(entries) + "\n")
    dup = [*guests[:2], dict(guests[0], vmid=150, id="qemu/150")]
    write("bad/proxmox/resources-duplicate.json", json.dumps(dup, indent=1) + "\n")
    write(
        "bad/proxmox/rrd/100.json",
        json.dumps([{"time": T0, "cpu": 0.1}, {"time": "noon", "cpu": 0.2}]) + "\n",
    )


def vsphere() -> None:
    new = ["VM,Powerstate,Template,CPUs,Memory,Host,Cluster,Cluster rule(s)"]
    old = ["VM,Powerstate,Template,CPUs,Memory,Host,Cluster"]
    for vm, (host, vcpus, mem) in VMS.items():
        new.append(f"{vm},poweredOn,False,{vcpus},{mem >> 20},{host},prod,")
        old.append(f"{vm},poweredOn,False,{vcpus},{mem >> 20},{host},prod")
    new += ["tmpl01,poweredOff,True,2,2048,hv01,prod,", "old01,poweredOff,False,2,2048,hv02,prod,"]
    write("vsphere/vInfo.csv", "\n".join(new) + "\n")
    write("vsphere/vInfo-old.csv", "\n".join(old) + "\n")
    hosts_new = ["Host,Cluster,# Cores,# Memory,in Maintenance Mode"]
    hosts_old = ["Host,Cluster,# Cores,Memory MB,Maintenance Mode"]
    for h, (c, m, x) in HOSTS.items():
        hosts_new.append(f"{h},prod,{c},{m >> 20},{x}")
        hosts_old.append(f"{h},prod,{c},{m >> 20},{x}")
    write("vsphere/vHost.csv", "\n".join(hosts_new) + "\n")
    write("vsphere/vHost-old.csv", "\n".join(hosts_old) + "\n")
    stats = [
        "#TYPE VMware.VimAutomation.ViCore.Impl.V1.VM.FloatSampleImpl",
        '"MetricId","Timestamp","Value","Unit","Instance","Entity","IntervalSecs"',
    ]
    for k in range(N):
        t = datetime.fromtimestamp(T0 + k * STEP, UTC).strftime("%m/%d/%Y %I:%M:%S %p")
        for vm in VMS:
            stats.append(f'"cpu.usage.average","{t}","{percent(vm, k):g}","%","","{vm}","300"')
            stats.append(f'"cpu.usage.average","{t}","99","%","0","{vm}","300"')  # per-CPU: ignored
    write("vsphere/getstat.csv", "\r\n".join(stats) + "\r\n")
    write(
        "bad/vsphere/vInfo-duplicate.csv",
        "VM,Powerstate,Template,CPUs,Memory,Host\nweb01,poweredOn,False,2,4096,hv01\nweb01,poweredOn,False,4,8192,hv02\n",
    )
    write(
        "bad/vsphere/getstat-mhz.csv",
        '"MetricId","Timestamp","Value","Unit","Instance","Entity","IntervalSecs"\n'
        '"cpu.usage.average","2026-11-20T00:00:00Z","512","MHz","","web01","300"\n',
    )
    write("bad/vsphere/vHost-missing.csv", "Host,Cluster,Cores,RAM\nhv01,prod,16,131072\n")


if __name__ == "__main__":
    prometheus()
    csv_files()
    proxmox()
    vsphere()
