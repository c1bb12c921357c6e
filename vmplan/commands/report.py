"""``vmplan report``: the combined CPU curves of every host, now and after a plan, as HTML or text."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vmplan import __version__
from vmplan.commands import clusters, inputs, options, output
from vmplan.commands.outcome import Outcome
from vmplan.problems import InputError
from vmplan.render.escape import printable

if TYPE_CHECKING:
    from vmplan.fleet.selection import Selection
    from vmplan.model import Plan

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

  vmplan report fleet/*.yaml --plan plan.json --cluster west
"""


def report(
    inventory: options.InventoryArgs,
    plan: PlanOpt = None,
    out: ReportOutputOpt = None,
    format: ReportFormatOpt = ReportFormat.HTML,
    cpu_limit: options.CpuLimitOpt = None,
    memory_limit: options.MemoryLimitOpt = None,
    tz: options.TzOpt = None,
    cluster: options.ClusterOpt = None,
) -> Outcome:
    """Chart every host's combined CPU demand against its limit, now and after a plan.

    Writes one self-contained HTML file (no script, nothing fetched), or with --format text
    prints the same curves as sparklines; hosts are grouped by cluster when the inventory names
    clusters. Exit 0 with a report, 2 for invalid input.
    """
    from vmplan.fleet.selection import narrow
    from vmplan.render import html, report_model, report_text  # load only for this command
    from vmplan.sizing import replay

    view = options.View.parse(cpu_limit, memory_limit, tz)
    errors = output.stderr_console()
    read = inputs.load_inventory(inventory, "text", "report")
    for warning in read.loaded.warnings:
        errors.print(printable(str(warning)), soft_wrap=True, markup=False)
    chosen = clusters.selection(view.apply(read.inventory), cluster)
    inv = chosen.inventory
    read_files = (*read.files, *([plan] if plan is not None else []))
    target, replayed = None, None
    if plan is not None:
        only = None if chosen.everything else chosen.vms
        target = narrow(chosen, inputs.read_plan(plan, chosen.whole, only))
        if _made_on_other_series(chosen, plan, target):
            replayed = replay(inv, target.target)
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


def _made_on_other_series(chosen: Selection, path: Path, plan: Plan) -> bool:
    """Whether ``plan`` (narrowed to ``chosen``) was made on other series than these, so that
    the report adds its replay (``vmplan backtest``'s numbers): its own replay on the history it
    was made from (``sizing.history``, which pack and evacuate write) differs from this one. A
    plan made for the whole inventory recorded the whole one's replay, a plan made with
    ``--cluster`` the chosen clusters'; either matching means the same series. A plan that does
    not record it (written by hand, or by an older vmplan) is shown as it is."""
    from vmplan.planfile import read_plan
    from vmplan.sizing import replay

    try:  # read_plan has validated the file; only the recorded replay is looked up here
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text) if text.lstrip()[:1] == "{" else None
    except (OSError, ValueError):
        return False
    about = doc.get("sizing") if isinstance(doc, dict) else None
    recorded = about.get("history") if isinstance(about, dict) else None
    if not isinstance(recorded, dict):
        return False
    replays = [(chosen.inventory, plan.target)]
    if not chosen.everything:
        try:  # the whole plan, VMs it does not name staying where they are
            whole = read_plan(text, str(path), chosen.whole, warnings=[])
            replays.append((chosen.whole, whole.target))
        except InputError:
            pass
    return all(recorded != replay(inv, target).summary() for inv, target in replays)
