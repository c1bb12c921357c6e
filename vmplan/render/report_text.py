"""The report for the terminal: a line per host with its CPU curve as a unicode sparkline (with
a plan, a line for now and one for after).

:func:`rich_table` colours it for a terminal and fits the curves to its width; :func:`plain` is
the same content as aligned plain text fitted to 80 columns, for pipes and files. Both end with
a legend of the curves and the summary line. When the inventory names clusters, a line per
cluster (:func:`cluster_line`) comes above its hosts.
"""

from __future__ import annotations

import textwrap

from rich.console import Console
from rich.table import Table
from rich.text import Text

from vmplan import timefmt
from vmplan.render.curves import sparkline
from vmplan.render.escape import cluster_label
from vmplan.render.report_model import ClusterGroup, HostRow, Panel, Report
from vmplan.render.svg import percent
from vmplan.timefmt import format_duration
from vmplan.units import plural

SPARK_WIDTH = 48
MIN_SPARK_WIDTH = 8
CURVE_HEADERS = ("CPU now", "CPU")
#: Plain text fits its curves to this width: it goes to files and pipes, whose reader's terminal
#: is not known.
PLAIN_COLUMNS = 80


def _panel_cells(report: Report, row: HostRow, panel: Panel, width: int) -> list[str]:
    inv = report.inventory
    if row.freed and panel is row.after:
        return ["0", "freed", "", "", ""]
    cores = float(inv.host_cores[row.index])
    when = timefmt.time_of_day(inv, panel.peak_sample)
    memory = panel.memory_bytes / float(inv.host_memory[row.index])
    curve = sparkline(panel.total, width, top=cores)
    peak = percent(panel.peak / cores) + ("!" if panel.over_cpu else "")
    mem = percent(memory) + ("!" if panel.over_memory else "")
    return [str(len(panel.vms)), peak, when if panel.vms else "", mem, curve]


def headers(report: Report) -> list[str]:
    """Without a plan a host is one line; with one, two (its "now" and "after" side by side
    would take twice the width: about 170 columns)."""
    if report.plan is None:
        return ["host", "limit", "VMs", "peak", "at", "mem", CURVE_HEADERS[0], "status"]
    return ["host", "limit", "", "VMs", "peak", "at", "mem", CURVE_HEADERS[1], "status"]


def _status(row: HostRow, side: str) -> str:
    """What to know of the host on its ``side`` ("now" or "after") line."""
    panel = row.before if side == "now" else row.after
    parts = []
    if side == "now" and row.host.maintenance:
        parts.append("maintenance")
    if side == "after":
        if row.evacuated and panel is not None and panel.vms:
            parts.append(f"plan says evacuated, still holds {len(panel.vms)} VMs")
        elif row.evacuated:
            parts.append("evacuated")
        elif row.freed:
            parts.append("freed")
    if panel is not None and panel.over_cpu:
        parts.append("over CPU limit")
    if panel is not None and panel.over_memory:
        parts.append("over memory limit")
    last = row.after if row.after is not None else row.before
    if panel is last and panel is not None and panel.vms:  # which resource is nearest its limit
        parts.append(f"{'CPU' if panel.binds == 'cpu' else 'memory'} binds")
    return ", ".join(parts)


def rows(report: Report, width: int = SPARK_WIDTH) -> list[list[list[str]]]:
    """Every host's lines of cells (in :attr:`Report.rows` order): one, or "now" and "after"
    with a plan; curves ``width`` blocks wide."""
    out = []
    for r in report.rows:
        name, limit = r.host.name, percent(r.host.cpu_limit)
        now = _panel_cells(report, r, r.before, width)
        if r.after is None:
            out.append([[name, limit, *now, _status(r, "now")]])
            continue
        after = _panel_cells(report, r, r.after, width)
        out.append(
            [
                [name, limit, "now", *now, _status(r, "now")],
                ["", "", "after", *after, _status(r, "after")],
            ]
        )
    return out


def curve_legend(report: Report, width: int) -> str:
    """What one block of a curve stands for."""
    inv = report.inventory
    n = inv.n_samples
    per_block = -(-n // width) if n > width else 1
    span = timefmt.duration_label(n * inv.interval_s)
    block = timefmt.duration_label(per_block * inv.interval_s)
    return (
        f"Curves: {span}, a block = the highest combined CPU of {block}, full = all the host's "
        "cores; ! = over the limit."
    )


def summary_line(report: Report) -> str:
    plan = report.plan
    over_now = len(report.over_cpu("before"))
    if plan is None:
        return f"Now: {report.hosts_before} hosts in use, {over_now} over their CPU limit."
    freed = report.freed
    names = f": {', '.join(r.host.name for r in freed)}" if freed else ""
    bound = "none" if plan.lower_bound is None else str(plan.lower_bound)
    proof = ""
    if plan.optimal:
        proof = ", claimed optimal" if report.contradictions else ", proven optimal"
    over_after = len(report.over_cpu("after"))
    feasible = "" if plan.feasible else " The plan is marked infeasible."
    feasible += "".join(f" Contradicted: {c}." for c in report.contradictions)
    return (
        f"Plan ({plan.command}): {report.hosts_before} -> {report.hosts_after} hosts "
        f"({len(freed)} freed{names}), lower bound {bound}{proof}, "
        f"{plural(len(plan.moves), 'migration')} in {plural(plan.waves, 'wave')}, "
        f"about {format_duration(plan.total_seconds)}; over the CPU limit: "
        f"{over_now} now, {over_after} after.{feasible}"
    )


def cluster_line(group: ClusterGroup) -> str:
    """``Cluster west: 3 hosts in use now, 2 after the plan``."""
    after = "" if group.hosts_after is None else f", {group.hosts_after} after the plan"
    return (
        f"Cluster {cluster_label(group.name)}: {plural(group.hosts_before, 'host')} in use now"
        f"{after}"
    )


def _grouped(report: Report, hosts: list[str]) -> list[str]:
    """``hosts`` (each host's lines) under a line per cluster, when the inventory names any."""
    if not report.clusters:
        return hosts
    return [x for g in report.clusters for x in (cluster_line(g), *(hosts[i] for i in g.rows))]


def plain(report: Report) -> str:
    """Aligned columns of plain text (no colour, no box drawing) with curves fitted to
    :data:`PLAIN_COLUMNS`, the legend and the summary."""
    width = fitting_width(report, PLAIN_COLUMNS)
    names = headers(report)
    per_host = rows(report, width)
    table = [names, *(line for host in per_host for line in host)]
    widths = [max(len(line[i]) for line in table) for i in range(len(names))]

    def joined(line: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()

    hosts = ["\n".join(joined(line) for line in host) for host in per_host]
    footer = [curve_legend(report, width), summary_line(report), *replay_lines(report)]
    wrapped = [_wrap(line) for line in footer]
    return "\n".join([joined(names), *_grouped(report, hosts), "", *wrapped]) + "\n"


def _wrap(line: str) -> str:
    """A long line of prose as lines of at most :data:`PLAIN_COLUMNS`, the rest indented."""
    return textwrap.fill(
        line, PLAIN_COLUMNS, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False
    )


def replay_lines(report: Report) -> list[str]:
    """The plan replayed on these series (``vmplan backtest``'s lines), when made on others."""
    from vmplan.render import sizing as render_sizing

    if report.replay is None:
        return []
    inv, result = report.inventory, report.replay
    return [
        REPLAY_HEAD,
        *render_sizing.replay_lines(inv, result),
        render_sizing.replay_summary(result),
    ]


REPLAY_HEAD = "The plan was made on other series; replayed on these:"


def _fixed_width(report: Report) -> int:
    """Width of the table without its curve columns, separators included."""
    names = headers(report)
    table = [names, *(line for host in rows(report, 1) for line in host)]
    columns = [i for i, name in enumerate(names) if name not in CURVE_HEADERS]
    return sum(max(len(line[i]) for line in table) for i in columns) + 2 * (len(names) - 1)


def _needed(report: Report, fixed: int, spark_width: int) -> int:
    return fixed + sum(max(spark_width, len(h)) for h in headers(report) if h in CURVE_HEADERS)


def fitting_width(report: Report, console_width: int) -> int:
    """The widest curves (at most :data:`SPARK_WIDTH`) that let the table fit the console."""
    fixed = _fixed_width(report)
    for width in range(SPARK_WIDTH, MIN_SPARK_WIDTH, -1):
        if _needed(report, fixed, width) <= console_width:
            return width
    return MIN_SPARK_WIDTH


def rich_table(console: Console, report: Report) -> None:
    """The same rows as a rich table fitted to the console; over-limit values in bold red.

    On a console too narrow even for the shortest curves the table keeps its width (the terminal
    wraps it) rather than cutting host names short.
    """
    width = fitting_width(report, console.width)
    cells = rows(report, width)
    groups: list[tuple[str, tuple[int, ...]]] = [("", tuple(range(len(cells))))]
    if report.clusters:
        groups = [(cluster_line(g), g.rows) for g in report.clusters]
    needed = _needed(report, _fixed_width(report), width)
    wide = console
    if console.width < needed:  # rich would crop the table at the console's width
        wide = Console(
            file=console.file,
            width=needed,
            force_terminal=console.is_terminal,
            color_system=console.color_system,  # type: ignore[arg-type]
            no_color=console.no_color,
            highlight=False,
        )
    for line, indices in groups:
        if line:
            wide.print(Text(line, style="bold"), soft_wrap=True)
        wide.print(_table(report, cells, indices, aligned=bool(report.clusters)))
    console.print(Text(curve_legend(report, width), style="dim"))  # wrapped at words
    console.print(Text(summary_line(report), style="bold"))
    for extra in replay_lines(report):
        console.print(Text(extra))


def _table(
    report: Report, cells: list[list[list[str]]], indices: tuple[int, ...], aligned: bool
) -> Table:
    """The hosts ``indices`` of ``cells`` (each host's lines) as a rich table; ``aligned``:
    every column as wide as its widest cell in ``cells``, so that the tables of several clusters
    line up."""
    names = headers(report)
    lines = [line for host in cells for line in host]
    table = Table(box=None, pad_edge=False, header_style="bold")
    for i, name in enumerate(names):
        widest = max(len(line[i]) for line in [names, *lines]) if aligned else None
        table.add_column(name, no_wrap=name != "status", min_width=widest)
    for line in (line for i in indices for line in cells[i]):
        styled = [Text(c, style="bold red" if c.endswith("!") or "over" in c else "") for c in line]
        table.add_row(*styled)
    return table
