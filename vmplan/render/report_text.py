"""The report for the terminal: one row per host with its CPU curve as a unicode sparkline.

:func:`rich_table` colours it for a terminal; :func:`plain` is the same content as aligned plain
text, for pipes and files. The summary line is shared by both.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from vmplan.render import charts
from vmplan.render.curves import sparkline
from vmplan.render.report_model import HostRow, Panel, Report
from vmplan.render.svg import multi_day, percent
from vmplan.units import format_duration

SPARK_WIDTH = 48


def _panel_cells(report: Report, row: HostRow, panel: Panel) -> list[str]:
    inv = report.inventory
    if row.freed and panel is row.after:
        return ["0", "freed", "", "", ""]
    cores = float(inv.host_cores[row.index])
    when = charts.when_label(inv.start, inv.interval_s, panel.peak_sample, multi_day(inv))
    memory = panel.memory_bytes / float(inv.host_memory[row.index])
    curve = sparkline(panel.total, SPARK_WIDTH, top=cores)
    peak = percent(panel.peak / cores) + ("!" if panel.over_cpu else "")
    mem = percent(memory) + ("!" if panel.over_memory else "")
    return [str(len(panel.vms)), peak, when, mem, curve]


def headers(report: Report) -> list[str]:
    side = ["VMs", "CPU peak", "at", "memory", f"CPU now ({_span(report)}; full block = all cores)"]
    out = ["host", "limit", *side]
    if report.plan is not None:
        out += ["VMs", "CPU peak", "at", "memory", "CPU after the plan"]
    return [*out, "status"]


def _span(report: Report) -> str:
    inv = report.inventory
    return charts.duration_label(inv.n_samples * inv.interval_s)


def _status(row: HostRow) -> str:
    parts = []
    if row.host.maintenance:
        parts.append("maintenance")
    if row.evacuated:
        parts.append("evacuated")
    elif row.freed:
        parts.append("freed")
    for side, panel in (("now", row.before), ("after", row.after)):
        if panel is not None and panel.over_cpu:
            parts.append(f"over CPU limit {side}")
        if panel is not None and panel.over_memory:
            parts.append(f"over memory limit {side}")
    return ", ".join(parts)


def rows(report: Report) -> list[list[str]]:
    out = []
    for r in report.rows:
        cells = [r.host.name, percent(r.host.cpu_limit), *_panel_cells(report, r, r.before)]
        if r.after is not None:
            cells += _panel_cells(report, r, r.after)
        out.append([*cells, _status(r)])
    return out


def summary_line(report: Report) -> str:
    plan = report.plan
    over_now = len(report.over_cpu("before"))
    if plan is None:
        return f"Now: {report.hosts_before} hosts in use, {over_now} over their CPU limit."
    freed = report.freed
    names = f": {', '.join(r.host.name for r in freed)}" if freed else ""
    bound = "unknown" if plan.lower_bound is None else str(plan.lower_bound)
    proof = ", proven optimal" if plan.optimal else ""
    over_after = len(report.over_cpu("after"))
    feasible = "" if plan.feasible else " The plan is marked infeasible."
    return (
        f"Plan ({plan.command}): {report.hosts_before} -> {report.hosts_after} hosts "
        f"({len(freed)} freed{names}), lower bound {bound}{proof}, "
        f"{charts.plural(len(plan.moves), 'migration')} in {charts.plural(plan.waves, 'wave')}, about {format_duration(plan.total_seconds)}; over the CPU limit: "
        f"{over_now} now, {over_after} after.{feasible}"
    )


def plain(report: Report) -> str:
    """Aligned columns of plain text (no colour, no box drawing) and the summary line."""
    table = [headers(report), *rows(report)]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in table
    ]
    return "\n".join([*lines, "", summary_line(report)]) + "\n"


def rich_table(console: Console, report: Report) -> None:
    """The same rows as a rich table; over-limit values in bold red."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in headers(report):
        table.add_column(name, no_wrap=True)
    for line in rows(report):
        cells = [Text(c, style="bold red" if c.endswith("!") or "over" in c else "") for c in line]
        table.add_row(*cells)
    console.print(table)
    console.print(Text(summary_line(report), style="bold"), soft_wrap=True)
