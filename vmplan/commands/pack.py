"""``vmplan pack``: consolidate onto the fewest hosts, with a lower bound and safe migration waves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from vmplan import sizing
from vmplan.commands import clusters, inputs, options, output, sizing_options
from vmplan.commands import script as script_command
from vmplan.commands.outcome import Outcome
from vmplan.commands.script import ScriptShortcutOpt
from vmplan.engine.settings import DEFAULT_PARALLEL, DEFAULT_TIME_LIMIT_S
from vmplan.render import formats
from vmplan.render import plan as render_plan
from vmplan.render import sizing as render_sizing
from vmplan.render.escape import printable
from vmplan.render.formats import PlanFormat
from vmplan.timefmt import format_duration
from vmplan.units import plural

if TYPE_CHECKING:
    from vmplan.fleet.run import Solved
    from vmplan.model import IntArray, Inventory
    from vmplan.pack import PackResult, PackSettings

MaxMigrationsOpt = Annotated[
    int | None,
    typer.Option("--max-migrations", min=0, metavar="N", help="Best plan within N migrations."),
]
FrontierOpt = Annotated[
    bool,
    typer.Option(
        "--frontier",
        metavar="",
        help="Show the trade-off between hosts freed and migrations (on fleets of more than "
        "3,000 VM groups this also spends the time left walking from today's placement).",
    ),
]

SpareOpt = Annotated[
    int,
    typer.Option(
        "--spare",
        min=0,
        metavar="N",
        help="Keep room to evacuate N hosts of the result onto the others (the freed hosts "
        "gone), on the sized series with every rule; every used host's evacuation is verified, "
        "and for N > 1 also the N largest together. 0 = the tightest plan.",
    ),
]

EPILOG = """Examples:

  vmplan pack samples/inventory.yaml

  vmplan pack inventory.yaml --cpu-limit 80% --frontier

  vmplan pack inventory.yaml -o plan.json    (JSON, from the extension)

  vmplan pack inventory.yaml --spare 0    (the tightest plan, no room kept for maintenance)

  vmplan pack inventory.yaml --script govc -o plan.sh
"""


def pack(
    ctx: typer.Context,
    inventory: options.InventoryArgs,
    cpu_limit: options.CpuLimitOpt = None,
    memory_limit: options.MemoryLimitOpt = None,
    max_migrations: MaxMigrationsOpt = None,
    parallel: options.ParallelOpt = DEFAULT_PARALLEL,
    bandwidth: options.BandwidthOpt = options.DEFAULT_BANDWIDTH,
    time_limit: options.TimeLimitOpt = DEFAULT_TIME_LIMIT_S,
    frontier: FrontierOpt = False,
    spare: SpareOpt = 1,
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
    """Consolidate onto the fewest hosts, each within its limits at every sample, with safe waves.

    Finds the fewest hosts on which every host's combined CPU series stays under its limit at
    every sample (and memory fits and rules hold), then the live migrations to get there.

    Exit 0 with a plan, 1 when no feasible placement exists, 2 for invalid input.
    """
    from vmplan.fleet.packing import pack_fleet  # the solver loads only for this command
    from vmplan.pack import PackSettings

    fmt = output.plan_format(format, out) if script is None else PlanFormat.JSON
    settings = PackSettings(
        parallel=parallel,
        bandwidth=options.bandwidth(bandwidth),
        time_limit=time_limit,
        max_migrations=max_migrations,
        frontier=frontier,
        spare=spare,
    )
    view = options.View.parse(cpu_limit, memory_limit, tz)
    where = clusters.where(jobs, scheduler)
    read = inputs.load_inventory(inventory, fmt.value, "pack", where=where)
    output.show_warnings(read.loaded.warnings)
    inv = view.apply(clusters.select(read.inventory, cluster))
    chosen = sizing_options.spec(profile, envelope, size, risk)
    with output.progress("packing") as say:
        sized = sizing_options.apply(inv, chosen, _planner(settings, say))
        fleet = _solve(pack_fleet, sized.inventory, settings, where, say)
    result = fleet.merged
    about = {"spare": spare, **sizing.as_json(sized, inv, result.plan.target)}
    if clusters.named(inv):
        about |= clusters.json_extra(fleet.parts, [r.plan for r in fleet.results])
        for entry, own in zip(about["clusters"], fleet.results, strict=True):
            entry |= {
                "lower_bound_detail": own.bounds.values(),
                "lower_bound_binding": own.bounds.binding(),
                "strategy": own.strategy,
                "search": _search(own),
            }
    views = _views(inv, result, frontier, about, sizing.summary(sized))
    if script is not None:
        plan_json = formats.render(views, fmt, output.capture_console(fmt))
        line = script_command.command_line(ctx)
        return script_command.shortcut(plan_json, inv, script, inventory, line, out, read.files)
    output.write_output(formats.render(views, fmt, output.capture_console(fmt)), out, read.files)
    output.confirm(out)
    return Outcome.OK if result.plan.feasible else Outcome.FINDINGS


def _solve(run: Callable[..., Solved[PackResult]], *args: Any) -> Solved[PackResult]:
    """The fleet's clusters packed; a scheduler that cannot be used is a usage error."""
    from vmplan.fleet.run import SchedulerError

    try:
        return run(*args)
    except SchedulerError as exc:
        output.fail(str(exc))


def _planner(settings: PackSettings, say: Callable[[str], None]) -> sizing.PlanFn:
    """The solver as calibration sees it: a placement for a sized inventory, within a share of
    the time limit (no frontier, which only the final plan shows, and no spare: candidates
    compare by how tightly they pack, and the room check would cost each of them), cluster by
    cluster."""
    from vmplan.fleet import Where
    from vmplan.fleet.packing import pack_fleet

    def plan(inv: Inventory, share: float) -> IntArray | None:
        quick = replace(settings, time_limit=settings.time_limit * share, frontier=False, spare=0)
        say("calibrating the sizing")
        result = pack_fleet(inv, quick, Where(1)).merged
        return result.plan.target if result.plan.feasible else None

    return plan


def _views(
    inv: Inventory, result: PackResult, frontier: bool, about: dict[str, Any], sized_line: str
) -> formats.Views:
    """What pack shows: the plan on the history as given (``inv``: real curves, times and limits),
    though it was made and verified on the sized series, which the sizing summary describes."""
    for_what = "" if about["sizing"]["planned_on"] == "the history" else " for the sized series"
    line = f"{summary(inv, result, for_what, about.get('total_seconds'))}; {printable(sized_line)}"

    def data() -> dict[str, Any]:
        extra = {
            "lower_bound_detail": result.bounds.values(),
            "lower_bound_binding": result.bounds.binding(),
            "strategy": result.strategy,
            "search": _search(result),
            "frontier": [{"hosts": p.hosts, "migrations": p.migrations} for p in result.frontier],
            **about,
        }
        return render_plan.plan_dict(inv, result.plan, extra)

    def table(console: Console) -> None:
        plan = result.plan
        if not plan.feasible:
            console.print(Text("No feasible placement.", style="bold red"))
            render_plan.print_unplaced(console, inv, plan)
            return
        if frontier:
            console.print(_frontier_table(result))
            if about["sizing"]["candidates"]:
                console.print(render_sizing.candidates_table(about["sizing"]))
        clusters.print_hosts(console, inv, plan)
        if plan.moves:
            render_plan.print_moves(console, inv, plan)
        console.print(Text(line, style="bold"), soft_wrap=True)
        for note in plan.notes:
            console.print(Text(f"note: {printable(note)}", style="yellow"), soft_wrap=True)

    def text() -> list[str]:
        plan = result.plan
        if not plan.feasible:
            return ["No feasible placement.", *render_plan.unplaced_lines(inv, plan)]
        lines = [
            f"frontier: {plural(p.hosts, 'host')}, {plural(p.migrations, 'migration')}"
            for p in result.frontier
        ]
        lines = lines if frontier else []
        return [
            *lines,
            *clusters.host_lines(inv, plan),
            *render_plan.move_lines(inv, plan),
            line,
            *(f"note: {printable(note)}" for note in plan.notes),
        ]

    return formats.Views(data, table, text)


def _search(result: PackResult) -> str:
    """JSON ``search``: whether the time limit cut the search (any cluster's, for a fleet)."""
    return "cut by the time limit" if result.cut else "finished"


def _frontier_table(result: PackResult) -> Table:
    before = int(np.unique(result.plan.before).size)
    table = Table(title="Hosts vs migrations", title_justify="left", show_edge=False)
    for col in ("hosts", "freed", "migrations"):
        table.add_column(col, justify="right")
    for p in result.frontier:
        table.add_row(str(p.hosts), str(before - p.hosts), str(p.migrations))
    return table


def summary(
    inv: Inventory, result: PackResult, for_what: str = "", seconds: float | None = None
) -> str:
    """``seconds``: how long the migrations take when it is not the plan's sum of waves (the
    longest cluster's, when clusters migrate side by side)."""
    plan = result.plan
    before, after = set(plan.before.tolist()), set(plan.target.tolist())
    optimal = f", optimal{for_what}" if plan.optimal else ""
    return printable(
        f"Plan: {len(before)} -> {len(after)} hosts ({len(before - after)} freed), "
        f"lower bound {plan.lower_bound}{optimal}, {plural(len(plan.moves), 'migration')} in "
        f"{plural(plan.waves, 'wave')}, about "
        f"{format_duration(plan.total_seconds if seconds is None else seconds)}"
    )
