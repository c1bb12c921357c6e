"""``vmplan evacuate``: empty hosts for maintenance with live migrations that never overload a
destination."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich.text import Text

from vmplan.commands import common
from vmplan.problems import did_you_mean
from vmplan.render import plan as render_plan
from vmplan.timefmt import time_of_day
from vmplan.units import format_duration

if TYPE_CHECKING:
    from vmplan.evacuate import Summary, Window
    from vmplan.model import Inventory, Plan

ENV = "VMPLAN_INVENTORY"
DEFAULT_FILES = ("inventory.yaml", "vmplan.yaml")

HostsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="HOST",
        help="Hosts to empty (a chassis, a rack: name several).",
        show_default=False,
    ),
]
InventoryOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "-i",
        "--inventory",
        help=f"Inventory file (repeatable; several files merge). Default: ${ENV} (paths separated "
        f"by '{os.pathsep}'), else {' or '.join(DEFAULT_FILES)} in the current folder.",
        show_default=False,
    ),
]
WindowOpt = Annotated[
    bool,
    typer.Option(
        "--window",
        help="Name the quietest time of day to run the evacuation (needs 'start' in the inventory;"
        " suggested anyway when it is there).",
    ),
]


def evacuate(
    hosts: HostsArg,
    inventory: InventoryOpt = None,
    cpu_limit: common.CpuLimitOpt = None,
    memory_limit: common.MemoryLimitOpt = None,
    parallel: common.ParallelOpt = 4,
    bandwidth: common.BandwidthOpt = "10Gbit/s",
    time_limit: common.TimeLimitOpt = 5.0,
    window: WindowOpt = False,
    format: common.PlanFormatOpt = None,
    output: common.OutputOpt = None,
) -> None:
    """Plan live migrations that empty HOST... so that no destination is ever over its limits.

    Exit 0 with a plan, 1 when the hosts cannot be emptied (with the reasons), 2 for invalid input.
    """
    from vmplan.evacuate import EvacuateSettings  # the solver loads only for this command
    from vmplan.evacuate import evacuate as run_evacuate

    fmt = common.plan_format(format, output)
    settings = EvacuateSettings(
        parallel=parallel,
        bandwidth=common.parse_bandwidth_option(bandwidth),
        time_limit=time_limit,
    )
    cpu = common.parse_percent_option(cpu_limit, "--cpu-limit")
    memory = common.parse_percent_option(memory_limit, "--memory-limit")
    paths = inventory_paths(inventory, os.environ.get(ENV), Path.cwd())
    loaded = common.load_or_exit(paths, fmt.value, "evacuate", common.stderr_console())
    common.show_warnings(loaded.warnings)
    inv = loaded.inventory.with_limits(cpu, memory)
    named = host_indices(inv, hosts)
    if window and inv.start is None:
        common.fail_usage("--window needs timestamps: add 'start' to the inventory")
    with common.progress("evacuating") as say:
        plan = run_evacuate(inv, named, settings, say)
    common.write_output(_render(inv, plan, fmt), output)
    raise typer.Exit(common.EXIT_OK if plan.feasible else common.EXIT_FINDINGS)


def inventory_paths(given: list[Path] | None, env: str | None, cwd: Path) -> list[Path]:
    """-i/--inventory, else $VMPLAN_INVENTORY, else inventory.yaml or vmplan.yaml in ``cwd``."""
    if given:
        return given
    if env and env.strip():
        return [Path(p) for p in env.split(os.pathsep) if p.strip()]
    for name in DEFAULT_FILES:
        if (cwd / name).is_file():
            return [Path(name)]
    common.fail_usage(
        f"no inventory: pass -i FILE, set {ENV}, or create {' or '.join(DEFAULT_FILES)} "
        f"(looked in {cwd})"
    )


def host_indices(inv: Inventory, names: list[str]) -> list[int]:
    unknown = [n for n in names if n not in inv.host_index]
    if unknown:
        hosts = [h.name for h in inv.hosts]
        common.fail_usage("; ".join(f"unknown host '{n}'{did_you_mean(n, hosts)}" for n in unknown))
    return sorted({inv.host_index[n] for n in names})


def _extra(inv: Inventory, plan: Plan, summary: Summary, window: Window | None) -> dict[str, Any]:
    busiest = None
    if summary.busiest is not None:
        busiest = {
            "name": inv.hosts[summary.busiest].name,
            "cpu_peak": round(summary.busiest_share, 4),
            "at": time_of_day(inv, summary.busiest_sample),
        }
    extra: dict[str, Any] = {
        "evacuated_vms": summary.evacuated_vms,
        "room_making": summary.room_making,
        "repairs": summary.repairs,
        "temporary": summary.temporary,
        "destinations": [inv.hosts[h].name for h in summary.destinations],
        "busiest_destination": busiest,
    }
    if window is not None:
        extra["window"] = window.as_dict()
    return extra


def _render(inv: Inventory, plan: Plan, fmt: common.PlanFormat) -> str:
    from vmplan.evacuate import quietest, summarize

    summary = summarize(inv, plan)
    window = quietest(inv, plan) if plan.feasible else None
    if fmt in (common.PlanFormat.JSON, common.PlanFormat.YAML):
        doc = render_plan.plan_dict(inv, plan, _extra(inv, plan, summary, window))
        if fmt is common.PlanFormat.JSON:
            return json.dumps(doc, indent=2) + "\n"
        return yaml.safe_dump(doc, sort_keys=False)
    console = common.capture_console(fmt)
    names = ", ".join(inv.hosts[h].name for h in plan.evacuated)
    if not plan.feasible:
        console.print(Text(f"Cannot evacuate {names}:", style="bold red"))
        render_plan.print_unplaced(console, inv, plan)
        return common.rendered(console)
    if plan.moves:
        console.print(render_plan.waves_table(inv, plan))
        shown = {m.source for m in plan.moves} | {m.target for m in plan.moves}
        console.print(render_plan.hosts_table(inv, plan, only=shown))
    console.print(Text(summary_line(inv, plan, summary, window), style="bold"), soft_wrap=True)
    return common.rendered(console)


def summary_line(inv: Inventory, plan: Plan, summary: Summary, window: Window | None) -> str:
    """``Evacuate esx03: 23 migrations in 6 waves, about 9m; busiest destination peaks at 74%
    at 09:40``, plus room-making moves and the quietest window when there are any."""
    names = ", ".join(inv.hosts[h].name for h in plan.evacuated)
    if not plan.moves:
        return f"Evacuate {names}: nothing to move, already empty"
    others = [
        f"{summary.room_making} to make room" if summary.room_making else "",
        _count(summary.repairs, "repair") if summary.repairs else "",
        _count(summary.temporary, "temporary stop") if summary.temporary else "",
    ]
    room = f" ({', '.join(o for o in others if o)})" if summary.other_moves else ""
    line = (
        f"Evacuate {names}: {_count(len(plan.moves), 'migration')}{room} in "
        f"{_count(plan.waves, 'wave')}, about {format_duration(plan.total_seconds)}"
    )
    if summary.busiest is not None:
        line += (
            f"; busiest destination peaks at {summary.busiest_share:.0%} at "
            f"{time_of_day(inv, summary.busiest_sample)} ({inv.hosts[summary.busiest].name})"
        )
    if window is not None:
        line += f"; quietest time to run it {window.start}-{window.end} UTC"
    return line


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
