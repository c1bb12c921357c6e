"""The report as one self-contained HTML document: inline CSS and SVG, no script, nothing fetched.

Sections: a summary (hosts before and after, freed hosts, lower bound, migrations and waves, hosts
over their limits), an overview table of hosts, one section per host (the stacked CPU chart today
and after the plan side by side, a legend, memory against its limit; one printed page each) --
grouped under a heading per cluster when the inventory names clusters --, the migration waves,
and a note on how to read the charts. The output depends only on the input:
no clock, stable order, fixed number formats.
"""

from __future__ import annotations

import re
from html import escape

from vmplan import timefmt
from vmplan.model import Command, Inventory, Plan
from vmplan.render import charts, colours, svg
from vmplan.render.report_model import HostRow, Panel, Report
from vmplan.render.svg import percent
from vmplan.timefmt import format_duration
from vmplan.units import format_bytes, plural

PALETTE, OTHER, ALERT = colours.PALETTE, colours.OTHER, colours.ALERT

CSS = f"""
:root{{--alert:{ALERT};--ink:#1b1b1b;--muted:#5f6368;--line:#d9d9d9;--ok:#009E73}}
*{{box-sizing:border-box}}
html{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
body{{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);margin:0 auto;max-width:1400px;padding:16px 20px 40px;background:#fff}}
h1{{font-size:22px;margin:0 0 2px}} h2{{font-size:17px;margin:0}} h3{{font-size:15px;margin:18px 0 8px}}
.sub{{color:var(--muted);margin:0 0 14px}}
.stats{{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:8px;margin:0 0 14px}}
.stat{{border:1px solid var(--line);border-radius:6px;padding:8px 10px}}
.stat dt{{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}}
.stat dd{{margin:2px 0 0;font-size:16px;font-weight:600}}
.stat.bad{{border:2px solid var(--alert)}} .stat.bad dd{{color:var(--alert)}}
.banner{{border:2px solid var(--alert);color:var(--alert);padding:8px 12px;border-radius:6px;font-weight:600}}
table{{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}}
th,td{{padding:3px 10px 3px 0;text-align:left;border-bottom:1px solid var(--line);white-space:nowrap}}
th{{font-weight:600;color:var(--muted)}} td.n{{text-align:right}}
tr.bad td{{color:var(--alert);font-weight:600}}
.host{{border:1px solid var(--line);border-radius:8px;padding:10px 12px 8px;margin:14px 0;
content-visibility:auto;contain-intrinsic-size:auto 340px}}
.host.bad{{border:2px solid var(--alert)}}
.host>header{{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 12px;margin-bottom:4px}}
.spec{{color:var(--muted);font-size:13px}}
.badge{{font-size:12px;font-weight:600;border-radius:10px;padding:1px 8px;border:1px solid currentColor}}
.badge.bad{{color:var(--alert)}} .badge.freed{{color:var(--ok)}} .badge.info{{color:var(--muted)}}
.panels{{display:grid;grid-template-columns:1fr;gap:14px}} .panels.two{{grid-template-columns:1fr 1fr}}
figure{{margin:0;min-width:0}} figcaption{{font-size:13px;margin-bottom:2px}}
figcaption b{{font-size:13px}} .over-text{{color:var(--alert);font-weight:600}}
.chart-svg{{width:100%;height:auto;display:block}}
.chart-svg text{{font-size:11px;fill:var(--ink);paint-order:stroke;stroke:#fff;stroke-width:3px;
stroke-linejoin:round}}
.chart-svg .yl{{text-anchor:end}} .chart-svg .xl{{text-anchor:middle}}
.chart-svg .pl{{font-weight:700}} .chart-svg .ll{{font-weight:600}} .chart-svg .ll.over{{fill:var(--alert)}}
.grid{{stroke:#ececec;stroke-width:1}} .axis,.tick{{stroke:#777;stroke-width:1}}
.limit{{stroke:var(--ink);stroke-width:1.5;stroke-dasharray:6 3}} .limit.over{{stroke:var(--alert);stroke-width:2}}
.total{{fill:none;stroke:var(--ink);stroke-width:1;vector-effect:non-scaling-stroke}}
.chart-svg path[data-vm]{{stroke:#fff;stroke-width:.6;vector-effect:non-scaling-stroke}}
.peak{{fill:var(--ink);stroke:#fff;stroke-width:1.5}}
{"".join(f".c{i}{{fill:{c}}} .k{i}{{background:{c}}} " for i, c in enumerate(PALETTE))}
.co{{fill:{OTHER}}} .ko{{background:{OTHER}}}
.legend{{list-style:none;margin:2px 0 4px;padding:0;display:flex;flex-wrap:wrap;gap:2px 12px;font-size:12px}}
.legend i{{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px;
border:1px solid rgba(0,0,0,.25)}}
.mem{{display:flex;align-items:center;gap:8px;font-size:12px}}
.bar{{position:relative;flex:0 0 42%;height:10px;background:#eee;border:1px solid #ccc;border-radius:2px}}
.bar .use{{position:absolute;left:0;top:0;bottom:0;background:#0072B2}}
.bar .use.over{{background:var(--alert)}}
.bar .cap{{position:absolute;top:-3px;bottom:-3px;width:2px;background:var(--ink)}}
.freed-box{{display:flex;flex-direction:column;justify-content:center;align-items:center;
min-height:150px;height:calc(100% - 20px);border:2px dashed var(--ok);border-radius:8px;color:var(--ok)}}
.freed-box strong{{font-size:18px}} .freed-box span{{color:var(--muted);font-size:13px}}
.note{{color:var(--muted);font-size:12px;margin-top:18px}}
.panels:not(.two){{max-width:760px}}
.fleet{{display:grid;grid-template-columns:repeat(auto-fill,minmax(132px,1fr));gap:6px;margin:0 0 14px}}
.fleet a{{display:block;text-decoration:none;border:1px solid var(--line);border-radius:4px;padding:3px 5px}}
.fleet a.bad{{border:2px solid var(--alert)}} .fleet span{{font-size:11px;display:block;white-space:nowrap;
overflow:hidden;text-overflow:ellipsis}}
.small-svg{{width:100%;height:auto;display:block}} .small-svg .sa{{fill:#0072B2;fill-opacity:.55}}
.small-svg .sa.over{{fill:var(--alert)}} .small-svg .sl{{stroke:var(--ink);stroke-width:1;stroke-dasharray:3 2}}
.small-svg .sl.over{{stroke:var(--alert)}}
.contradicts ul{{margin:4px 0 0;padding-left:20px}} .contradicts p{{margin:0}}
a{{color:inherit}}
@page{{size:A4;margin:10mm}}
@media print{{body{{max-width:none;padding:0}}
.host{{break-before:page;break-inside:avoid;margin:0;border:0;content-visibility:visible}}
.panels.two{{grid-template-columns:1fr;gap:22px}} .freed-box{{min-height:60mm}}
.waves{{break-before:page}} a{{text-decoration:none}}}}
"""


def _bytes(n: float) -> str:
    """``384GiB`` rather than ``384.0GiB``."""
    text = format_bytes(n)
    return text.replace(".0", "", 1) if re.match(r"^\d+\.0[A-Za-z]", text) else text


def _h(text: object) -> str:
    return escape(str(text), quote=True)


SUMMARY_NAMES = 8  # host names listed in a summary tile; the host table has them all


def _names(rows: tuple[HostRow, ...]) -> str:
    if not rows:
        return "none"
    shown = ", ".join(r.host.name for r in rows[:SUMMARY_NAMES])
    more = len(rows) - SUMMARY_NAMES
    return f"{shown} and {more} more" if more > 0 else shown


def _stat(label: str, value: str, bad: bool = False) -> str:
    cls = "stat bad" if bad else "stat"
    return f'<div class="{cls}"><dt>{_h(label)}</dt><dd>{_h(value)}</dd></div>'


def _plan_stats(report: Report, plan: Plan) -> list[str]:
    freed = report.freed
    contradicted = bool(report.contradictions)
    proof = ""
    if plan.optimal:
        proof = " (claimed optimal: contradicted)" if contradicted else " (proven optimal)"
    duration = f", about {format_duration(plan.total_seconds)}" if plan.moves else ""
    stats = [
        _stat("Hosts in use", f"{report.hosts_before} → {report.hosts_after}"),
        _stat("Freed hosts", f"{len(freed)}: {_names(freed)}" if freed else "none"),
    ]
    if plan.command is Command.EVACUATE:  # no host count to bound: the proof is of migrations
        claim = "not proven"
        if plan.optimal:
            claim = "claimed proven: contradicted" if contradicted else "proven"
        stats.append(_stat("Fewest migrations", claim, plan.optimal and contradicted))
    elif plan.lower_bound is not None:
        stats.append(
            _stat(
                "Lower bound",
                f"{plural(plan.lower_bound, 'host')}{proof}",
                bool(proof) and contradicted,
            )
        )
    stats.append(
        _stat("Migrations", f"{len(plan.moves)} in {plural(plan.waves, 'wave')}{duration}")
    )
    if plan.command is Command.EVACUATE:
        held = {r.host.name for r in report.rows if r.evacuated and r.after and r.after.vms}
        evacuated = ", ".join(
            name + (" (still holds VMs)" if name in held else "")
            for name in (report.inventory.hosts[h].name for h in plan.evacuated)
        )
        stats.append(_stat("Evacuated", evacuated or "none", bool(held)))
    return stats


def summary(report: Report) -> str:
    plan = report.plan
    stats = _plan_stats(report, plan) if plan else [_stat("Hosts in use", str(report.hosts_before))]
    sides = {"before": "now", "after": "after"} if plan else {"before": "now"}
    for kind, over in (("CPU", report.over_cpu), ("memory", report.over_memory)):
        found = {side: over(side) for side in sides}
        text = " · ".join(f"{sides[side]}: {_names(rows)}" for side, rows in found.items())
        if not plan:
            text = _names(found["before"])
        stats.append(_stat(f"Over {kind} limit", text, any(found.values())))
    banner = ""
    if plan and not plan.feasible:
        banner = '<p class="banner">The plan says no feasible placement exists: "after" shows its placement as given.</p>'
    if report.contradictions:
        items = "".join(f"<li>{_h(c)}</li>" for c in report.contradictions)
        banner += (
            '<div class="banner contradicts"><p>The plan claims what its own placement, '
            f"recomputed on this inventory, contradicts:</p><ul>{items}</ul></div>"
        )
    return f'<section class="summary">{banner}<dl class="stats">{"".join(stats)}</dl></section>'


def _cell_panel(inv: Inventory, row: HostRow, panel: Panel | None) -> str:
    if panel is None:
        return ""
    if row.freed and panel is row.after:
        return '<td class="n">0</td><td>freed</td><td></td>'
    cores = float(inv.host_cores[row.index])
    mem = panel.memory_bytes / float(inv.host_memory[row.index])
    cpu_cls = ' class="n over-text"' if panel.over_cpu else ' class="n"'
    mem_cls = ' class="n over-text"' if panel.over_memory else ' class="n"'
    return (
        f'<td class="n">{len(panel.vms)}</td><td{cpu_cls}>{percent(panel.peak / cores)}</td>'
        f"<td{mem_cls}>{percent(mem)}</td>"
    )


def fleet(report: Report) -> str:
    """One small multiple per host (after the plan when there is one, else now), each a link to
    the host's detailed charts below: a 100-host fleet at a glance."""
    inv = report.inventory
    cells = []
    for r in report.rows:
        panel = r.after if r.after is not None else r.before
        side = "after the plan" if r.after is not None else "now"
        name = r.host.name
        bad = panel.over_cpu or panel.over_memory
        if not panel.vms:
            what = "freed" if r.freed else "empty"
        else:
            what = f"peak {percent(panel.peak / r.host.cores)}"
            what += f", {_binds_short(panel)}" if bad else ""
        title = f"{name} {side}: {len(panel.vms)} VMs, {what}"
        cells.append(
            f'<a href="#host-{_h(name)}" data-host="{_h(name)}"{" class=bad" if bad else ""}>'
            f"<span><b>{_h(name)}</b> {_h(what)}</span>"
            f"{svg.small_svg(inv, r.index, panel, title)}</a>"
        )
    side = "after the plan" if report.plan is not None else "now"
    return (
        f'<section class="fleet-overview"><h3>Fleet {side}</h3>'
        f'<div class="fleet">{"".join(cells)}</div></section>'
    )


def _binds_short(panel: Panel) -> str:
    if panel.binds == "cpu":
        return f"CPU {percent(panel.cpu_use)} of limit"
    return f"memory {percent(panel.memory_use)} of limit"


def overview(report: Report) -> str:
    inv = report.inventory
    after = report.plan is not None
    head_after = "<th>VMs after</th><th>CPU peak</th><th>memory</th>" if after else ""
    rows = []
    for r in report.rows:
        status = _statuses(r)
        bad = r.before.over_cpu or r.before.over_memory
        bad = bad or (r.after is not None and (r.after.over_cpu or r.after.over_memory))
        cls = ' class="bad"' if bad else ""
        rows.append(
            f'<tr{cls}><td><a href="#host-{_h(r.host.name)}">{_h(r.host.name)}</a></td>'
            f'<td class="n">{charts.fmt(r.host.cores, 1)}</td><td class="n">{percent(r.host.cpu_limit)}</td>'
            f"{_cell_panel(inv, r, r.before)}{_cell_panel(inv, r, r.after)}"
            f"<td>{_h(_binds_cell(inv, r))}</td>"
            f"<td>{_h(', '.join(label for label, _ in status))}</td></tr>"
        )
    return (
        '<section class="overview"><h3>Hosts</h3><table><thead><tr><th>host</th><th>cores</th>'
        "<th>CPU limit</th><th>VMs now</th><th>CPU peak</th><th>memory</th>"
        f"{head_after}<th>binds</th><th>status</th></tr></thead><tbody>{''.join(rows)}</tbody>"
        "</table></section>"
    )


def _binds_cell(inv: Inventory, r: HostRow) -> str:
    panel = r.after if r.after is not None else r.before
    return binds_text(inv, panel).replace(" binds:", ",") if panel.vms else ""


def _statuses(r: HostRow) -> list[tuple[str, str]]:
    out = []
    if r.host.maintenance:
        out.append(("maintenance", "info"))
    if r.evacuated and r.after is not None and r.after.vms:
        out.append((f"plan says evacuated, still holds {len(r.after.vms)} VMs", "bad"))
    elif r.evacuated:
        out.append(("evacuated", "freed"))
    elif r.freed:
        out.append(("freed", "freed"))
    for side, panel in (("now", r.before), ("after", r.after)):
        if panel is not None and panel.over_cpu:
            out.append((f"over CPU limit {side}", "bad"))
        if panel is not None and panel.over_memory:
            out.append((f"over memory limit {side}", "bad"))
    return out


def _vm_attr(vm: int, label: str) -> str:
    return f' data-vm="{_h(label)}"' if vm >= 0 else ""


def _legend(inv: Inventory, panel: Panel, cores: float) -> str:
    items = [
        f'<li{_vm_attr(layer.vm, layer.label)}><i class="k{svg.layer_key(inv, layer.vm)}"></i>'
        f"{_h(layer.label)} <span class=spec>{percent(layer.peak / cores)}</span></li>"
        for layer in panel.layers
    ]
    head = '<li class="spec">VM (own peak):</li>'
    return f'<ul class="legend">{head}{"".join(items)}</ul>' if items else ""


def _memory(inv: Inventory, h: int, panel: Panel) -> str:
    total = float(inv.host_memory[h])
    share = panel.memory_bytes / total
    limit = inv.hosts[h].memory_limit
    over = " over" if panel.over_memory else ""
    text = f"memory {_bytes(panel.memory_bytes)} of {_bytes(total)} ({percent(share)}), limit {percent(limit)}"
    if panel.over_memory:
        text += " — over the limit"
    width = charts.fmt(min(share, 1.0) * 100, 1)
    return (
        f'<div class="mem"><div class="bar"><div class="use{over}" style="width:{width}%"></div>'
        f'<div class="cap" style="left:{charts.fmt(limit * 100, 1)}%"></div></div>'
        f"<span{' class=over-text' if over else ''}>{_h(text)}</span></div>"
    )


def _figure(inv: Inventory, r: HostRow, panel: Panel, side: str, top: float) -> str:
    h, name = r.index, r.host.name
    cores = float(inv.host_cores[h])
    caption = {"before": "Now", "after": "After the plan", "now": "Now"}[side]
    peak = svg.peak_text(inv, panel, cores)
    over = ""
    if panel.over_cpu:
        when = timefmt.time_of_day(inv, panel.first_over)
        over = f' · <span class="over-text">over the CPU limit in {panel.over_samples} samples from {_h(when)}</span>'
    title = f"{name}, {caption.lower()}: {len(panel.vms)} VMs, {peak}, limit {percent(r.host.cpu_limit)}"
    binds = f' · <span class="binds">{_h(binds_text(inv, panel))}</span>' if panel.vms else ""
    return (
        f'<figure class="chart" data-host="{_h(name)}" data-side="{side}">'
        f"<figcaption><b>{caption}</b> · {len(panel.vms)} VMs · {_h(peak)}{over}{binds}</figcaption>"
        f"{svg.chart_svg(inv, h, panel, top, title)}{_legend(inv, panel, cores)}{_memory(inv, h, panel)}"
        "</figure>"
    )


def binds_text(inv: Inventory, panel: Panel) -> str:
    """``CPU binds: 92% of its limit at Tue 10:00`` or ``memory binds: 95% of its limit``."""
    if panel.binds == "cpu":
        when = timefmt.time_of_day(inv, panel.peak_sample)
        return f"CPU binds: {percent(panel.cpu_use)} of its limit at {when}"
    return f"memory binds: {percent(panel.memory_use)} of its limit"


def _freed(r: HostRow) -> str:
    what = "Evacuated" if r.evacuated else "Freed"
    return (
        f'<figure class="chart freed" data-host="{_h(r.host.name)}" data-side="after">'
        f'<figcaption><b>After the plan</b></figcaption><div class="freed-box"><strong>{what}</strong>'
        f"<span>no VMs after the plan: its {len(r.before.vms)} VMs move to other hosts</span></div>"
        "</figure>"
    )


def host_section(inv: Inventory, r: HostRow) -> str:
    h = r.host
    panels = [p for p in (r.before, r.after) if p is not None]
    top = charts.scale_top(max(p.peak for p in panels) / h.cores)
    badges = "".join(f'<span class="badge {cls}">{_h(label)}</span>' for label, cls in _statuses(r))
    spec = (
        f"{charts.fmt(h.cores, 1)} cores · CPU limit {percent(h.cpu_limit)} "
        f"({charts.fmt(h.cores * h.cpu_limit, 1)} cores) · {_bytes(h.memory_bytes)} memory, "
        f"limit {percent(h.memory_limit)}"
    )
    if r.after is None:
        body = _figure(inv, r, r.before, "now", top)
        layout = "panels"
    else:
        after = _freed(r) if r.freed else _figure(inv, r, r.after, "after", top)
        body = _figure(inv, r, r.before, "before", top) + after
        layout = "panels two"
    bad = any(p.over_cpu or p.over_memory for p in panels)
    return (
        f'<section class="host{" bad" if bad else ""}" id="host-{_h(h.name)}" data-host="{_h(h.name)}">'
        f'<header><h2>{_h(h.name)}</h2><span class="spec">{_h(spec)}</span>{badges}</header>'
        f'<div class="{layout}">{body}</div></section>'
    )


def waves(report: Report) -> str:
    plan, inv = report.plan, report.inventory
    if plan is None:
        return ""
    if not plan.moves:
        return '<section class="waves"><h3>Migration waves</h3><p>No migrations.</p></section>'
    seconds = plan.wave_seconds()
    rows = []
    previous = 0
    for m in plan.moves:
        first = m.wave != previous
        previous = m.wave
        wave = f"{m.wave}" if first else ""
        took = format_duration(seconds[m.wave - 1]) if first else ""
        staging = " (staging)" if m.temporary else ""
        rows.append(
            f'<tr><td class="n">{wave}</td><td class="n">{took}</td><td>{_h(inv.vms[m.vm].name)}</td>'
            f"<td>{_h(inv.hosts[m.source].name)}</td><td>{_h(inv.hosts[m.target].name)}{staging}</td>"
            f'<td class="n">{format_duration(m.seconds)}</td><td>{_h(str(m.reason))}</td></tr>'
        )
    return (
        '<section class="waves"><h3>Migration waves</h3>'
        f"<p class=sub>{plural(len(plan.moves), 'migration')} in "
        f"{plural(plan.waves, 'wave')}, about "
        f"{format_duration(plan.total_seconds)}. The moves of a wave run at the same time; "
        "a wave lasts as long as its longest move.</p>"
        "<table><thead><tr><th>wave</th><th>wave time</th><th>VM</th><th>from</th><th>to</th>"
        f"<th>estimate</th><th>why</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _replay(report: Report) -> str:
    """The plan replayed on these series (``vmplan backtest``'s numbers), when made on others."""
    from vmplan.render import report_text

    lines = report_text.replay_lines(report)
    if not lines:
        return ""
    head, *hosts, total = lines
    items = "".join(f"<li>{_h(line)}</li>" for line in hosts)
    return (
        f'<section class="replay"><h2>{_h(head)}</h2><p>{_h(total)}</p><ul>{items}</ul></section>'
    )


#: Only in reports of inventories that name clusters (the others keep their bytes).
CLUSTER_CSS = (
    ".cluster>h2{font-size:19px;margin:26px 0 0;padding-top:8px;border-top:3px solid var(--ink)}"
    "@media print{.cluster{break-before:page} .cluster>.host:first-of-type{break-before:avoid}}"
)


def host_sections(report: Report) -> str:
    """Every host's section; under a heading per cluster (with its hosts in use before and
    after) when the inventory names clusters."""
    from vmplan.render.report_text import cluster_line

    inv = report.inventory
    if not report.clusters:
        return "".join(host_section(inv, r) for r in report.rows)
    return "".join(
        f'<section class="cluster" id="cluster-{_h(g.name)}" data-cluster="{_h(g.name)}">'
        f"<h2>{_h(cluster_line(g))}</h2>"
        f"{''.join(host_section(inv, report.rows[i]) for i in g.rows)}</section>"
        for g in report.clusters
    )


def _reading_note(report: Report) -> str:
    inv = report.inventory
    tz = "time since the first sample"
    if inv.start is not None:
        tz = f"in the zone of the first sample ({timefmt.start_label(inv.start)})"
    note = (
        f"How to read the charts: the stacked areas are the CPU demand of the host's VMs; the VMs "
        f"that make the host's peak are named, largest at the peak at the bottom, at least "
        f"{report.top_n} and enough that the rest, in grey as \u201cother\u201d, is small. Each "
        "VM has one colour on the whole page (from its name), so it can be followed from now to "
        "after the plan; the legend names it and gives its own peak as a share of the host's "
        "cores. "
        f"The thin black line is the combined demand, the dashed line the host's CPU limit and "
        f"the dot its peak. Times are {tz}."
    )
    bucket = svg.bucket(inv)
    if bucket > 1:
        note += (
            f" The series has {inv.n_samples} samples, more than a chart draws: each drawn point "
            f"stands for up to {bucket} consecutive samples and shows the one with the highest "
            "combined demand (max-pooling), so peaks are never drawn lower than they are."
        )
    return f'<p class="note">{_h(note)}</p>'


def document(report: Report, generator: str) -> str:
    """The whole HTML document; ``generator`` names the program (e.g. ``vmplan 0.1.0``)."""
    inv = report.inventory
    files = " " + ", ".join(inv.files) if inv.files else ""
    start = "" if inv.start is None else f" from {timefmt.start_label(inv.start)}"
    interval = timefmt.duration_label(inv.interval_s)
    sub = (
        f"Inventory{files}: {len(inv.hosts)} hosts, {len(inv.vms)} VMs, "
        f"{inv.n_samples} samples every {interval}{start}."
    )
    title = "vmplan report"
    if report.plan is not None:
        sub += f" Plan {report.plan_file or ''} ({report.plan.command})."
        title += f": {report.plan.command} plan"
    hosts = host_sections(report)
    css = CSS + CLUSTER_CSS if report.clusters else CSS
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="{_h(generator)}">'
        f"<title>{_h(title)}</title><style>{css}</style></head><body>"
        f'<header><h1>{_h(title)}</h1><p class="sub">{_h(sub)}</p></header>'
        f"{summary(report)}{_replay(report)}{fleet(report)}{overview(report)}{hosts}"
        f"{waves(report)}{_reading_note(report)}"
        "</body></html>\n"
    )
