"""``vmplan pack``: consolidate onto the fewest hosts, with a lower bound and safe migration waves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
import yaml
from rich.table import Table
from rich.text import Text

from vmplan import sizing
from vmplan.commands import common, sizing_options
from vmplan.render import plan as render_plan
from vmplan.render import sizing as render_sizing
from vmplan.units import format_duration, plural

if TYPE_CHECKING:
    from vmplan.model import IntArray, Inventory
    from vmplan.packing import PackResult, PackSettings

MaxMigrationsOpt = Annotated[
    int | None,
    typer.Option("--max-migrations", min=0, help="Best plan within this many migrations."),
]
FrontierOpt = Annotated[
    bool,
    typer.Option(
        "--frontier",
        help="Show the trade-off between hosts freed and migrations (on fleets of more than "
        "3,000 VM groups this also spends the time left walking from today's placement).",
    ),
]


def pack(
    inventory: common.InventoryArgs,
    cpu_limit: common.CpuLimitOpt = None,
    memory_limit: common.MemoryLimitOpt = None,
    max_migrations: MaxMigrationsOpt = None,
    parallel: common.ParallelOpt = 4,
    bandwidth: common.BandwidthOpt = "10Gbit/s",
    time_limit: common.TimeLimitOpt = 5.0,
    frontier: FrontierOpt = False,
    profile: sizing_options.ProfileOpt = None,
    envelope: sizing_options.EnvelopeOpt = None,
    size: sizing_options.SizeOpt = None,
    risk: sizing_options.RiskOpt = None,
    format: common.PlanFormatOpt = None,
    output: common.OutputOpt = None,
) -> None:
    """Consolidate onto the fewest hosts, each within its limits at every sample, with safe waves.

    Finds the fewest hosts on which every host's combined CPU series stays under its limit at
    every sample (and memory fits and rules hold), then the live migrations to get there. The
    series are first sized (by default calibrated on a held-out part of the history, see --risk).

    Exit 0 with a plan, 1 when no feasible placement exists, 2 for invalid input.
    """
    from vmplan.packing import PackSettings  # the solver loads only for this command
    from vmplan.packing import pack as run_pack

    fmt = common.plan_format(format, output)
    settings = PackSettings(
        parallel=parallel,
        bandwidth=common.parse_bandwidth_option(bandwidth),
        time_limit=time_limit,
        max_migrations=max_migrations,
        frontier=frontier,
    )
    cpu = common.parse_percent_option(cpu_limit, "--cpu-limit")
    memory = common.parse_percent_option(memory_limit, "--memory-limit")
    loaded = common.load_or_exit(inventory, fmt.value, "pack", common.stderr_console())
    common.show_warnings(loaded.warnings)
    inv = loaded.inventory.with_limits(cpu, memory)
    chosen = sizing_options.spec(profile, envelope, size, risk)
    with common.progress("packing") as say:
        sized = sizing_options.apply(inv, chosen, _planner(settings, say))
        result = run_pack(sized.inventory, settings, say)
    about = sizing.as_json(sized, inv, result.plan.target)
    text = _render(sized.inventory, result, fmt, frontier, about, sizing.summary(sized))
    common.write_output(text, output)
    raise typer.Exit(common.EXIT_OK if result.plan.feasible else common.EXIT_FINDINGS)


def _planner(settings: PackSettings, say: Callable[[str], None]) -> sizing.PlanFn:
    """The solver as calibration sees it: a placement for a sized inventory, within a share of
    the time limit (no frontier, which only the final plan shows)."""
    from vmplan.packing import pack as run_pack

    def plan(inv: Inventory, share: float) -> IntArray | None:
        quick = replace(settings, time_limit=settings.time_limit * share, frontier=False)
        say("calibrating the sizing")
        result = run_pack(inv, quick, None)
        return result.plan.target if result.plan.feasible else None

    return plan


def _render(
    inv: Inventory,
    result: PackResult,
    fmt: common.PlanFormat,
    frontier: bool,
    about: dict[str, Any],
    sized_line: str,
) -> str:
    plan = result.plan
    extra = {
        "lower_bound_detail": {
            "cpu": result.bounds.cpu,
            "memory": result.bounds.memory,
            "conflicts": result.bounds.conflicts,
        },
        "strategy": result.strategy,
        "frontier": [{"hosts": p.hosts, "migrations": p.migrations} for p in result.frontier],
        **about,
    }
    if fmt is common.PlanFormat.JSON:
        return render_plan.to_json(render_plan.plan_dict(inv, plan, extra))
    if fmt is common.PlanFormat.YAML:
        return yaml.safe_dump(render_plan.plan_dict(inv, plan, extra), sort_keys=False)
    console = common.capture_console(fmt)
    if not plan.feasible:
        console.print(Text("No feasible placement.", style="bold red"))
        render_plan.print_unplaced(console, inv, plan)
        return common.rendered(console)
    if frontier:
        console.print(_frontier_table(result))
        if about["sizing"]["candidates"]:
            console.print(render_sizing.candidates_table(about["sizing"]))
    console.print(render_plan.hosts_table(inv, plan))
    if plan.moves:
        console.print(render_plan.waves_table(inv, plan))
    for_what = "" if about["sizing"]["planned_on"] == "the history" else " for the sized series"
    line = f"{summary(inv, result, for_what)}; {sized_line}"
    console.print(Text(line, style="bold"), soft_wrap=True)
    return common.rendered(console)


def _frontier_table(result: PackResult) -> Table:
    before = int(np.unique(result.plan.before).size)
    table = Table(title="Hosts vs migrations", title_justify="left", show_edge=False)
    for col in ("hosts", "freed", "migrations"):
        table.add_column(col, justify="right")
    for p in result.frontier:
        table.add_row(str(p.hosts), str(before - p.hosts), str(p.migrations))
    return table


def summary(inv: Inventory, result: PackResult, for_what: str = "") -> str:
    plan = result.plan
    before, after = set(plan.before.tolist()), set(plan.target.tolist())
    optimal = f", optimal{for_what}" if plan.optimal else ""
    return (
        f"Plan: {len(before)} -> {len(after)} hosts ({len(before - after)} freed), "
        f"lower bound {plan.lower_bound}{optimal}, {plural(len(plan.moves), 'migration')} in "
        f"{plural(plan.waves, 'wave')}, about {format_duration(plan.total_seconds)}"
    )
