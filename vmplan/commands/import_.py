"""``vmplan import SOURCE``: monitoring data and inventory exports in, an inventory v1 out.

Each source command parses its options, calls its importer (``vmplan.importers``) and hands the
result to :func:`_finish`, which assembles the grid, says what was found on stderr and writes
``-o fleet.yaml`` and ``fleet.cpu.csv`` beside it, atomically and never over an input.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer

from vmplan import units
from vmplan.commands import inputs as read_inputs
from vmplan.commands import output as out
from vmplan.commands.outcome import Outcome
from vmplan.importers import assemble, emit, summary, timespec
from vmplan.importers.model import Collected, CpuUnit, HostRecord, VmRecord, Window
from vmplan.problems import InputError, Problem

HELP = "Write an inventory from monitoring data or an inventory export."

OutputReq = Annotated[
    Path,
    typer.Option(
        "-o",
        "--output",
        help="The inventory to write (atomically); its series go to NAME.cpu.csv beside it.",
        show_default=False,
    ),
]
StartOpt = Annotated[
    str | None,
    typer.Option(
        "--start",
        help="First time: ISO 8601 (UTC without a zone), or relative like -7d. "
        "Default: -7d for a server, else the data's first sample.",
        show_default=False,
    ),
]
EndOpt = Annotated[
    str | None,
    typer.Option(
        "--end",
        help="Last time, as --start. Default: now for a server, else the data's last sample.",
        show_default=False,
    ),
]
IntervalOpt = Annotated[
    str,
    typer.Option("--interval", help="Spacing of the written samples; the maximum in each."),
]
CpuUnitOpt = Annotated[
    CpuUnit,
    typer.Option(
        "--cpu-unit",
        help="What the CPU values are: percent or fraction of the VM's vCPUs, cores in use, or "
        "a cumulative CPU-seconds counter.",
    ),
]


def _window(start: str | None, end: str | None, interval: str, server: bool) -> Window:
    now = time.time()
    try:
        interval_s = units.parse_duration(interval)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--interval") from None
    times: list[float | None] = []
    texts: list[str | None] = []
    for value, name, default in ((start, "--start", "-7d"), (end, "--end", "now")):
        text = value if value is not None else (default if server else None)
        texts.append(text)
        try:
            times.append(None if text is None else timespec.parse_time(text, now))
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint=name) from None
    if times[0] is not None and times[1] is not None and times[1] < times[0]:
        raise typer.BadParameter(
            f"{texts[1]!r} comes before the start {texts[0]!r}", param_hint="--end"
        )
    return Window(interval_s, times[0], times[1])


def _csv_path(output: Path) -> Path:
    stem = output.name.rsplit(".", 1)[0] if "." in output.name.lstrip(".") else output.name
    return output.with_name(f"{stem}.cpu.csv")


def _check_outputs(output: Path, inputs: Sequence[Path]) -> Path:
    """The CSV beside ``output``; both checked against the inputs before anything is read."""
    if str(output) == "-":
        out.fail("-o must name a file: the series are written to a CSV beside it")
    csv_path = _csv_path(output)
    for target in (output, csv_path):
        # the two files name each other: a device or FIFO cannot stand for either
        if target.exists() and not target.is_file():
            out.fail(f"{target} is not a regular file; -o needs a file to write")
        out.refuse_inputs(target, inputs)
    return csv_path


def _finish(
    name: str,
    collect: Callable[[], Collected],
    window: Window,
    output: Path,
    inputs: Sequence[Path],
) -> Outcome:
    """Collect, assemble, report on stderr, write the CSV then the YAML that names it (each
    safely: never over an input, a device or a FIFO renamed over)."""
    csv_path = _check_outputs(output, inputs)
    try:
        fleet = assemble.build(collect(), window)
    except InputError as exc:
        read_inputs.fail_problems(exc.problems)
    console = out.stderr_console()
    for line in summary.lines(fleet):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    for warning in fleet.warnings:
        console.print(str(warning), markup=False, highlight=False, soft_wrap=True)
    header = f"Written by vmplan import {name}; series in percent of each VM's vCPUs."
    csv_name = csv_path.name if emit.needs_csv(fleet) else None
    if csv_name is not None:
        out.write_output(emit.series_csv(fleet), csv_path, inputs)
    out.write_output(emit.inventory_yaml(fleet, csv_name, header), output, inputs)
    wrote = f"{output} and {csv_path}" if csv_name is not None else str(output)
    console.print(f"wrote {wrote}", markup=False, highlight=False, soft_wrap=True)
    return Outcome.OK


# --- prometheus -----------------------------------------------------------------------------


def _header(value: str) -> tuple[str, str]:
    name, sep, rest = value.partition(":")
    if not sep or not name.strip():
        raise typer.BadParameter(
            f"expected 'Name: value', e.g. 'Authorization: Bearer TOKEN', got {value!r}",
            param_hint="--header",
        )
    return name.strip(), rest.strip()


def prometheus(
    output: OutputReq,
    url: Annotated[
        str | None,
        typer.Option("--url", help="The server, e.g. http://prometheus:9090.", show_default=False),
    ] = None,
    file: Annotated[
        list[Path] | None,
        typer.Option(
            "--file",
            help="Saved query_range responses named by their query: cpu.json, vcpus.json, "
            "memory.json, host-cores.json, host-memory.json (cpu-2.json... for more parts).",
            show_default=False,
        ),
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option("--header", help="An HTTP header, e.g. 'Authorization: Bearer TOKEN'."),
    ] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    interval: IntervalOpt = "5m",
    vm_label: Annotated[str, typer.Option("--vm-label", help="The label naming a VM.")] = "domain",
    host_label: Annotated[
        str, typer.Option("--host-label", help="The label naming its host (port removed).")
    ] = "instance",
    cpu_query: Annotated[str | None, typer.Option("--cpu-query", show_default=False)] = None,
    vcpus_query: Annotated[str | None, typer.Option("--vcpus-query", show_default=False)] = None,
    memory_query: Annotated[str | None, typer.Option("--memory-query", show_default=False)] = None,
    host_cores_query: Annotated[
        str | None, typer.Option("--host-cores-query", show_default=False)
    ] = None,
    host_memory_query: Annotated[
        str | None, typer.Option("--host-memory-query", show_default=False)
    ] = None,
    cpu_unit: CpuUnitOpt = CpuUnit.CORES,
) -> Outcome:
    """From Prometheus: a live server (--url) or saved query_range responses (--file).

    Defaults fit the libvirt exporter with node_exporter; the README lists the queries.
    Exit 0 with an inventory written, 2 for anything that cannot be read.
    """
    from vmplan.importers import prometheus as prom

    if (url is None) == (not file):
        out.fail("give either --url or --file (saved query_range responses)")
    defaults = prom.Queries()
    queries = prom.Queries(
        cpu=cpu_query or defaults.cpu,
        vcpus=vcpus_query or defaults.vcpus,
        memory=memory_query or defaults.memory,
        host_cores=host_cores_query or defaults.host_cores,
        host_memory=host_memory_query or defaults.host_memory,
    )
    settings = prom.Settings(queries, vm_label, host_label, cpu_unit)
    headers = [_header(h) for h in header or []]
    window = _window(start, end, interval, server=url is not None)
    inputs = list(file or [])

    def collect() -> Collected:
        if url is not None:
            assert window.start_s is not None and window.end_s is not None
            return prom.fetch(
                url, settings, (window.start_s, window.end_s), window.interval_s, headers
            )
        return prom.read_files(inputs, settings)

    return _finish("prometheus", collect, window, output, inputs)


# --- csv --------------------------------------------------------------------------------------


def csv_(
    series: Annotated[
        Path,
        typer.Argument(
            help="A long CSV: timestamp,vm,cpu[,host,vcpus,memory].", show_default=False
        ),
    ],
    output: OutputReq,
    hosts: Annotated[
        Path | None,
        typer.Option(
            "--hosts", help="Hosts as CSV: name,cpus,memory[,maintenance].", show_default=False
        ),
    ] = None,
    vms: Annotated[
        Path | None,
        typer.Option(
            "--vms",
            help="VMs as CSV: name,host,vcpus,memory (when the series file has no such columns).",
            show_default=False,
        ),
    ] = None,
    cpu_unit: CpuUnitOpt = CpuUnit.PERCENT,
    start: StartOpt = None,
    end: EndOpt = None,
    interval: IntervalOpt = "5m",
) -> Outcome:
    """From plain CSV files: one row per VM and time.

    Exit 0 with an inventory written, 2 for anything that cannot be read.
    """
    from vmplan.importers import longcsv

    window = _window(start, end, interval, server=False)
    inputs = [p for p in (series, hosts, vms) if p is not None]

    def collect() -> Collected:
        problems: list[Problem] = []
        host_records: list[HostRecord] = []
        vm_records: list[VmRecord] = []
        try:
            host_records = longcsv.read_hosts(hosts) if hosts is not None else []
        except InputError as exc:
            problems += exc.problems
        try:
            vm_records = longcsv.read_vms(vms) if vms is not None else []
        except InputError as exc:
            problems += exc.problems
        try:
            collected = longcsv.read_series(series, cpu_unit, host_records, vm_records)
        except InputError as exc:
            problems += exc.problems
        if problems:
            raise InputError(problems)
        return collected

    return _finish("csv", collect, window, output, inputs)


# --- proxmox ----------------------------------------------------------------------------------


def proxmox(
    output: OutputReq,
    resources: Annotated[
        Path,
        typer.Option(
            "--resources",
            help="pvesh get /cluster/resources --type vm --output-format json",
            show_default=False,
        ),
    ],
    nodes: Annotated[
        Path,
        typer.Option("--nodes", help="pvesh get /nodes --output-format json", show_default=False),
    ],
    rrd: Annotated[
        Path | None,
        typer.Option(
            "--rrd",
            help="A folder of VMID.json, each the guest's rrddata (--cf MAX --output-format json).",
            show_default=False,
        ),
    ] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    interval: IntervalOpt = "5m",
) -> Outcome:
    """From Proxmox VE: pvesh JSON for guests, nodes and each guest's rrddata.

    Exit 0 with an inventory written, 2 for anything that cannot be read.
    """
    from vmplan.importers import proxmox as pve

    window = _window(start, end, interval, server=False)
    inputs = [resources, nodes]
    if rrd is not None and rrd.is_dir():
        inputs += sorted(rrd.glob("*.json"))
    return _finish("proxmox", lambda: pve.collect(resources, nodes, rrd), window, output, inputs)


# --- vsphere ----------------------------------------------------------------------------------


def vsphere(
    output: OutputReq,
    rvtools: Annotated[
        list[Path],
        typer.Option(
            "--rvtools",
            help="RVTools vInfo and vHost tabs saved as CSV (give both; .xlsx is not read).",
            show_default=False,
        ),
    ],
    stats: Annotated[
        list[Path] | None,
        typer.Option(
            "--stats",
            help="PowerCLI Get-Stat -Stat cpu.usage.average ... | Export-Csv output.",
            show_default=False,
        ),
    ] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    interval: IntervalOpt = "5m",
) -> Outcome:
    """From vSphere: RVTools CSV for hosts and VMs, PowerCLI Get-Stat CSV for the series.

    Exit 0 with an inventory written, 2 for anything that cannot be read.
    """
    from vmplan.importers import vsphere as vs

    window = _window(start, end, interval, server=False)
    inputs = [*rvtools, *(stats or [])]
    return _finish("vsphere", lambda: vs.collect(rvtools, stats or []), window, output, inputs)


#: The sources, as ``vmplan import SOURCE`` names them.
COMMANDS: dict[str, Callable[..., Outcome]] = {
    "prometheus": prometheus,
    "csv": csv_,
    "proxmox": proxmox,
    "vsphere": vsphere,
}
