"""``vmplan backtest``: replay a plan's placement on the series of an inventory (a later period)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from vmplan.commands import clusters, inputs, options, output
from vmplan.commands.outcome import Outcome
from vmplan.problems import Problem
from vmplan.render import formats

if TYPE_CHECKING:
    from vmplan.model import Inventory
    from vmplan.sizing import Replay

PlanArg = Annotated[
    Path,
    typer.Option(
        "--plan",
        metavar="PLAN.json",
        help="A plan of vmplan pack/evacuate (--format json) whose placement is replayed.",
        show_default=False,
    ),
]

EPILOG = """Examples:

  vmplan pack monday.yaml -o plan.json && vmplan backtest tuesday.yaml --plan plan.json

  vmplan backtest last-week.yaml --plan plan.json -f json

  vmplan backtest fleet/*.yaml --plan plan.json --cluster west
"""


def backtest(
    inventory: options.InventoryArgs,
    plan: PlanArg,
    cpu_limit: options.CpuLimitOpt = None,
    memory_limit: options.MemoryLimitOpt = None,
    format: options.PlanFormatOpt = None,
    out: options.OutputOpt = None,
    cluster: options.ClusterOpt = None,
) -> Outcome:
    """Replay a plan's placement on the series of an inventory, typically a later period.

    VMs the plan does not name stay on their current host; VMs of the plan missing from the
    inventory are warnings. Per host, per cluster when the inventory names clusters, and overall:
    samples over the CPU limit and over 100% of the cores, the worst combined CPU, and the share
    of host-time over the limit; memory likewise.

    Exit 0 when no sample exceeds a limit, 1 when one does, 2 for invalid input.
    """
    from vmplan.fleet.selection import narrow
    from vmplan.fleet.summary import replay_by_cluster
    from vmplan.planfile import read_plan
    from vmplan.sizing import replay

    fmt = output.plan_format(format, out)
    view = options.View.parse(cpu_limit, memory_limit)
    read = inputs.load_inventory(inventory, fmt.value, "backtest")
    chosen = clusters.selection(view.apply(read.inventory), cluster)
    inv, only = chosen.inventory, None if chosen.everything else chosen.vms
    warnings: list[Problem] = []
    as_json = "backtest" if fmt.value == "json" else None
    target = inputs.read_file(
        plan,
        lambda text: read_plan(text, str(plan), chosen.whole, warnings=warnings, only=only),
        "plan",
        as_json,
    )
    output.show_warnings([*read.loaded.warnings, *warnings])
    result = replay(inv, narrow(chosen, target).target)
    per_cluster = replay_by_cluster(inv, result) if clusters.named(inv) else ()
    views = _views(inv, result, per_cluster, plan, warnings)
    text = formats.render(views, fmt, output.capture_console(fmt))
    output.write_output(text, out, (*read.files, plan))
    output.confirm(out)
    return Outcome.OK if result.clean else Outcome.FINDINGS


def _views(
    inv: Inventory,
    result: Replay,
    per_cluster: tuple[tuple[str, Replay], ...],
    plan: Path,
    warnings: list[Problem],
) -> formats.Views:
    """The replay's views; with clusters (``per_cluster`` not empty) the JSON's ``clusters``
    and a line per cluster above the summary."""
    from vmplan.render import sizing as render_sizing  # loaded only for this command

    def data() -> dict[str, Any]:
        doc = {"command": "backtest", "plan": str(plan), **render_sizing.replay_dict(inv, result)}
        if per_cluster:
            doc["clusters"] = [
                {"name": name, **render_sizing.replay_totals(r)} for name, r in per_cluster
            ]
        doc["warnings"] = [str(w) for w in warnings]
        return doc

    def table(console: Console) -> None:
        console.print(render_sizing.replay_table(inv, result))
        for (_, r), line in zip(per_cluster, render_sizing.cluster_lines(per_cluster), strict=True):
            console.print(Text(line, style="" if r.clean else "red"), soft_wrap=True)
        style = "bold" if result.clean else "bold red"
        console.print(Text(render_sizing.replay_summary(result), style=style))

    def text() -> list[str]:
        return [
            *render_sizing.replay_lines(inv, result),
            *render_sizing.cluster_lines(per_cluster),
            render_sizing.replay_summary(result),
        ]

    return formats.Views(data, table, text)
