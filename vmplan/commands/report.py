"""``vmplan report``: the combined CPU curves of every host, now and after a plan, as HTML or text."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vmplan import __version__
from vmplan.commands import common
from vmplan.problems import InputError, Problem
from vmplan.render import problems as render_problems

if TYPE_CHECKING:
    from vmplan.model import Inventory, Plan

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


def _read_plan_or_exit(path: Path, inv: Inventory) -> Plan:
    from vmplan.planfile import read_plan

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        problems = [Problem(str(path), 0, 0, "", f"cannot read the plan: {reason}", "plan")]
    else:
        try:
            return read_plan(text, str(path), inv)
        except InputError as exc:
            problems = exc.problems
    status = render_problems.Status.INVALID
    summary = render_problems.summary_line(problems, status, "")
    render_problems.text(common.stderr_console(), problems, summary)
    raise typer.Exit(common.EXIT_INVALID)


def report(
    inventory: common.InventoryArgs,
    plan: PlanOpt = None,
    output: ReportOutputOpt = None,
    format: ReportFormatOpt = ReportFormat.HTML,
    cpu_limit: common.CpuLimitOpt = None,
    memory_limit: common.MemoryLimitOpt = None,
) -> None:
    """Chart every host's combined CPU demand against its limit, now and after a plan.

    Writes one self-contained HTML file (no script, nothing fetched), or with --format text
    prints the same curves as sparklines. Exit 0 with a report, 2 for invalid input.
    """
    from vmplan.render import html, report_model, report_text  # load only for this command

    cpu = common.parse_percent_option(cpu_limit, "--cpu-limit")
    memory = common.parse_percent_option(memory_limit, "--memory-limit")
    errors = common.stderr_console()
    loaded = common.load_or_exit(inventory, "text", "report", errors)
    for warning in loaded.warnings:
        errors.print(str(warning), soft_wrap=True, markup=False)
    inv = loaded.inventory.with_limits(cpu, memory)
    target = _read_plan_or_exit(plan, inv) if plan is not None else None
    data = report_model.build(inv, target, None if plan is None else str(plan))
    if format is ReportFormat.TEXT:
        if (output is None or str(output) == "-") and sys.stdout.isatty():
            report_text.rich_table(common.stdout_console(), data)
        else:
            common.write_output(report_text.plain(data), output)
        return
    destination = output or DEFAULT_OUTPUT
    common.write_output(html.document(data, f"vmplan {__version__}"), destination)
    if str(destination) != "-":
        errors.print(f"wrote {destination}", markup=False, highlight=False)
