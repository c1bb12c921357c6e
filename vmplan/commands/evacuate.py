"""``vmplan evacuate``: empty hosts for maintenance with live migrations that never overload a
destination."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from vmplan import sizing, timefmt
from vmplan.commands import clusters, completion, inputs, options, output, sizing_options
from vmplan.commands import script as script_command
from vmplan.commands.outcome import Outcome
from vmplan.commands.script import ScriptShortcutOpt
from vmplan.engine.settings import DEFAULT_PARALLEL, DEFAULT_TIME_LIMIT_S
from vmplan.fleet.merge import longest_seconds
from vmplan.problems import did_you_mean
from vmplan.render import formats
from vmplan.render import plan as render_plan
from vmplan.render.escape import printable
from vmplan.render.formats import PlanFormat
from vmplan.timefmt import format_duration, time_of_day
from vmplan.units import plural

if TYPE_CHECKING:
    from vmplan.evacuate import EvacuateSettings, Summary, Window
    from vmplan.model import IntArray, Inventory, Plan

HostsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="HOST",
        help="Hosts to empty (a chassis, a rack: name several).",
        show_default=False,
        autocompletion=completion.host_names,
    ),
]
WindowOpt = Annotated[
    bool,
    typer.Option(
        "--window",
        metavar="",
        help="Name the quietest time of day to run the evacuation (needs 'start' in the inventory;"
        " suggested anyway when it is there).",
    ),
]


EPILOG = """Examples:

  vmplan evacuate esx01 -i samples/inventory.yaml

  vmplan evacuate esx03 esx04 --window -f json -o evacuate.json

  VMPLAN_INVENTORY=fleet.yaml vmplan evacuate esx12

  vmplan evacuate esx03 --script virsh -o evacuate-esx03.sh
"""


def evacuate(
    ctx: typer.Context,
    hosts: HostsArg,
    inventory: options.InventoryOpt = None,
    cpu_limit: options.CpuLimitOpt = None,
    memory_limit: options.MemoryLimitOpt = None,
    parallel: options.ParallelOpt = DEFAULT_PARALLEL,
    bandwidth: options.BandwidthOpt = options.DEFAULT_BANDWIDTH,
    time_limit: options.TimeLimitOpt = DEFAULT_TIME_LIMIT_S,
    window: WindowOpt = False,
    profile: sizing_options.ProfileOpt = None,
    envelope: sizing_options.EnvelopeOpt = None,
    size: sizing_options.SizeOpt = None,
    risk: sizing_options.RiskOpt = None,
    tz: options.TzOpt = None,
    script: ScriptShortcutOpt = None,
    format: options.PlanFormatOpt = None,
    out: options.OutputOpt = None,
    cluster: options.ClusterOpt = None,
    jobs: options.JobsOpt = None,
    scheduler: options.SchedulerOpt = None,
) -> Outcome:
    """Plan live migrations that empty HOST... so that no destination is ever over its limits.

    Exit 0 with a plan, 1 when the hosts cannot be emptied (with the reasons), 2 for invalid input.
    """
    from vmplan.evacuate import EvacuateSettings  # the solver loads only for this command

    fmt = output.plan_format(format, out) if script is None else PlanFormat.JSON
    settings = EvacuateSettings(
        parallel=parallel,
        bandwidth=options.bandwidth(bandwidth),
        time_limit=time_limit,
    )
    view = options.View.parse(cpu_limit, memory_limit, tz)
    paths = inputs.inventory_paths(inventory, os.environ.get(options.ENV), Path.cwd())
    where = clusters.where(jobs, scheduler)
    read = inputs.load_inventory(paths, fmt.value, "evacuate", where=where)
    output.show_warnings(read.loaded.warnings)
    inv = view.apply(clusters.select(read.inventory, cluster))
    named = host_indices(inv, hosts)
    if window and inv.start is None:
        output.fail("--window needs timestamps: add 'start' to the inventory")
    chosen = sizing_options.spec(profile, envelope, size, risk)
    with output.progress("evacuating") as say:
        sized = sizing_options.apply(inv, chosen, _planner(named, settings, say))
        done = clusters.evacuate(sized.inventory, named, settings, where, say)
    plan = done.merged
    about = sizing.as_json(sized, inv, plan.target)
    seconds = longest_seconds(done.results)  # clusters migrate side by side
    views = _views(inv, plan, about, sizing.summary(sized), seconds)
    views = clusters.with_clusters(views, inv, done.parts, done.results)
    text = formats.render(views, fmt, output.capture_console(fmt))
    if script is not None:
        line = script_command.command_line(ctx)
        return script_command.shortcut(text, inv, script, paths, line, out, read.files)
    output.write_output(text, out, read.files)
    output.confirm(out)
    return Outcome.OK if plan.feasible else Outcome.FINDINGS


def _planner(
    named: list[int], settings: EvacuateSettings, say: Callable[[str], None]
) -> sizing.PlanFn:
    """The evacuation as calibration sees it: where every VM ends once ``named`` are emptied,
    on a sized part of the history (its held-out replay is the evacuation's), cluster by
    cluster as the evacuation itself."""
    from vmplan.fleet import Where
    from vmplan.fleet.evacuating import evacuate_fleet

    def plan(inv: Inventory, share: float) -> IntArray | None:
        say("calibrating the sizing")
        quick = replace(settings, time_limit=settings.time_limit * share)
        result = evacuate_fleet(inv, named, quick, Where(1)).merged
        return result.target if result.feasible else None

    return plan


def host_indices(inv: Inventory, names: list[str]) -> list[int]:
    unknown = [n for n in names if n not in inv.host_index]
    if unknown:
        hosts = [h.name for h in inv.hosts]
        output.fail("; ".join(f"unknown host '{n}'{did_you_mean(n, hosts)}" for n in unknown))
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


def _views(
    inv: Inventory, plan: Plan, about: dict[str, Any], sized_line: str, seconds: float
) -> formats.Views:
    """What evacuate shows; ``inv`` is the sized inventory the plan was made and verified on.
    ``seconds``: how long the migrations take (the longest cluster's)."""
    from vmplan.evacuate import quietest, summarize

    summary = summarize(inv, plan)
    window = quietest(inv, plan, seconds) if plan.feasible else None
    names = printable(", ".join(inv.hosts[h].name for h in plan.evacuated))
    shown = {m.source for m in plan.moves} | {m.target for m in plan.moves}

    def data() -> dict[str, Any]:
        return render_plan.plan_dict(inv, plan, {**_extra(inv, plan, summary, window), **about})

    def table(console: Console) -> None:
        if not plan.feasible:
            console.print(Text(f"Cannot evacuate {names}:", style="bold red"))
            render_plan.print_unplaced(console, inv, plan)
            return
        if plan.moves:
            render_plan.print_hosts(console, inv, plan, only=shown)
            render_plan.print_moves(console, inv, plan)
        line = f"{summary_line(inv, plan, summary, window, seconds)}; {printable(sized_line)}"
        console.print(Text(line, style="bold"), soft_wrap=True)

    def text() -> list[str]:
        if not plan.feasible:
            return [f"Cannot evacuate {names}:", *render_plan.unplaced_lines(inv, plan)]
        return [
            *render_plan.host_lines(inv, plan, only=shown),
            *render_plan.move_lines(inv, plan),
            f"{summary_line(inv, plan, summary, window, seconds)}; {printable(sized_line)}",
        ]

    return formats.Views(data, table, text)


def summary_line(
    inv: Inventory, plan: Plan, summary: Summary, window: Window | None, seconds: float
) -> str:
    """``Evacuate esx03: 23 migrations in 6 waves, about 9m; busiest destination peaks at 74%
    at 09:40``, plus room-making moves and the quietest window when there are any."""
    names = printable(", ".join(inv.hosts[h].name for h in plan.evacuated))
    if not plan.moves:
        return f"Evacuate {names}: nothing to move, already empty"
    others = [
        f"{summary.room_making} to make room" if summary.room_making else "",
        plural(summary.repairs, "repair") if summary.repairs else "",
        plural(summary.temporary, "temporary stop") if summary.temporary else "",
    ]
    room = f" ({', '.join(o for o in others if o)})" if summary.other_moves else ""
    line = (
        f"Evacuate {names}: {plural(len(plan.moves), 'migration')}{room} in "
        f"{plural(plan.waves, 'wave')}, about {format_duration(seconds)}"
    )
    if summary.busiest is not None:
        line += (
            f"; busiest destination peaks at {summary.busiest_share:.0%} at "
            f"{time_of_day(inv, summary.busiest_sample)} ({printable(inv.hosts[summary.busiest].name)})"
        )
    if window is not None:
        zone = timefmt.zone_label(inv)
        line += f"; quietest time to run it {window.start}-{window.end} {zone}".rstrip()
    return line
