"""``vmplan report``: the combined CPU curves of every host, now and after a plan, as HTML or text."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vmplan import __version__
from vmplan.commands import inputs, options, output
from vmplan.commands.outcome import Outcome
from vmplan.render.escape import printable

if TYPE_CHECKING:
    from vmplan.model import Inventory, Plan
    from vmplan.sizing import Replay

DEFAULT_OUTPUT = Path("vmplan-report.html")


class ReportFormat(enum.StrEnum):
    HTML = "html"
    TEXT = "text"


PlanOpt = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        help="A plan of vmplan pack/evacuate (--format json): show the hosts after it too.",
        show_default=False,
    ),
]
ReportOutputOpt = Annotated[
    Path | None,
    typer.Option(
        "-o",
        "--output",
        help=f"Write the report here, atomically; '-' for stdout. HTML default: {DEFAULT_OUTPUT}.",
        show_default=False,
    ),
]
ReportFormatOpt = Annotated[
    ReportFormat,
    typer.Option("--format", "-f", help="html (a self-contained file) or text (sparklines)."),
]


EPILOG = """Examples:

  vmplan report samples/inventory.yaml

  vmplan pack inventory.yaml -o plan.json && vmplan report inventory.yaml --plan plan.json

  vmplan report inventory.yaml -f text | less -R
"""


def report(
    inventory: options.InventoryArgs,
    plan: PlanOpt = None,
    out: ReportOutputOpt = None,
    format: ReportFormatOpt = ReportFormat.HTML,
    cpu_limit: options.CpuLimitOpt = None,
    memory_limit: options.MemoryLimitOpt = None,
    tz: options.TzOpt = None,
) -> Outcome:
    """Chart every host's combined CPU demand against its limit, now and after a plan.

    Writes one self-contained HTML file (no script, nothing fetched), or with --format text
    prints the same curves as sparklines. Exit 0 with a report, 2 for invalid input.
    """
    from vmplan.render import html, report_model, report_text  # load only for this command

    view = options.View.parse(cpu_limit, memory_limit, tz)
    errors = output.stderr_console()
    read = inputs.load_inventory(inventory, "text", "report")
    for warning in read.loaded.warnings:
        errors.print(printable(str(warning)), soft_wrap=True, markup=False)
    inv = view.apply(read.inventory)
    target = inputs.read_plan(plan, inv) if plan is not None else None
    read_files = (*read.files, *([plan] if plan is not None else []))
    replayed = _replay_on_other_series(inv, plan, target) if plan and target else None
    data = report_model.build(inv, target, None if plan is None else str(plan), replay=replayed)
    if format is ReportFormat.TEXT:
        if output.to_stdout(out) and sys.stdout.isatty():
            report_text.rich_table(output.stdout_console(), data)
        else:
            output.write_output(report_text.plain(data), out, read_files)
            output.confirm(out)
        return Outcome.OK
    destination = out or DEFAULT_OUTPUT
    output.write_output(html.document(data, f"vmplan {__version__}"), destination, read_files)
    output.confirm(destination)
    return Outcome.OK


def _replay_on_other_series(inv: Inventory, path: Path, plan: Plan) -> Replay | None:
    """The plan's placement replayed on ``inv`` (``vmplan backtest``'s numbers) when the plan
    was made on other series: its own replay on the history it was made from (``sizing.history``,
    which pack and evacuate write) differs from this one. A plan that does not record it (written
    by hand, or by an older vmplan) is shown as it is."""
    from vmplan.sizing import replay

    try:  # read_plan has validated the file; only the recorded replay is looked up here
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    about = doc.get("sizing") if isinstance(doc, dict) else None
    recorded = about.get("history") if isinstance(about, dict) else None
    if not isinstance(recorded, dict):
        return None
    result = replay(inv, plan.target)
    return None if recorded == result.summary() else result
