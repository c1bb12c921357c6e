"""``vmplan pack``: consolidate onto the fewest hosts, with a lower bound and safe migration waves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
import yaml
from rich.table import Table
from rich.text import Text

from vmplan.commands import common
from vmplan.render import plan as render_plan
from vmplan.units import format_duration, plural

if TYPE_CHECKING:
    from vmplan.model import Inventory
    from vmplan.pack import PackResult

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
    format: common.PlanFormatOpt = None,
    output: common.OutputOpt = None,
) -> None:
    """Consolidate onto the fewest hosts, each within its limits at every sample, with safe waves.

    Finds the fewest hosts on which every host's combined CPU series stays under its limit at
    every sample (and memory fits and rules hold), then the live migrations to get there.

    Exit 0 with a plan, 1 when no feasible placement exists, 2 for invalid input.
    """
    from vmplan.pack import PackSettings  # the solver loads only for this command
    from vmplan.pack import pack as run_pack

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
    with common.progress("packing") as say:
        result = run_pack(inv, settings, say)
    common.write_output(_render(inv, result, fmt, frontier), output)
    raise typer.Exit(common.EXIT_OK if result.plan.feasible else common.EXIT_FINDINGS)


def _render(inv: Inventory, result: PackResult, fmt: common.PlanFormat, frontier: bool) -> str:
    plan = result.plan
    extra = {
        "lower_bound_detail": {
            "cpu": result.bounds.cpu,
            "memory": result.bounds.memory,
            "conflicts": result.bounds.conflicts,
        },
        "strategy": result.strategy,
        "frontier": [{"hosts": p.hosts, "migrations": p.migrations} for p in result.frontier],
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
    console.print(render_plan.hosts_table(inv, plan))
    if plan.moves:
        console.print(render_plan.waves_table(inv, plan))
    console.print(Text(summary(inv, result), style="bold"))
    return common.rendered(console)


def _frontier_table(result: PackResult) -> Table:
    before = int(np.unique(result.plan.before).size)
    table = Table(title="Hosts vs migrations", title_justify="left", show_edge=False)
    for col in ("hosts", "freed", "migrations"):
        table.add_column(col, justify="right")
    for p in result.frontier:
        table.add_row(str(p.hosts), str(before - p.hosts), str(p.migrations))
    return table


def summary(inv: Inventory, result: PackResult) -> str:
    plan = result.plan
    before, after = set(plan.before.tolist()), set(plan.target.tolist())
    optimal = ", optimal" if plan.optimal else ""
    return (
        f"Plan: {len(before)} -> {len(after)} hosts ({len(before - after)} freed), "
        f"lower bound {plan.lower_bound}{optimal}, {plural(len(plan.moves), 'migration')} in "
        f"{plural(plan.waves, 'wave')}, about {format_duration(plan.total_seconds)}"
    )
