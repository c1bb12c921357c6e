"""One host's stacked CPU chart as inline SVG markup (geometry from :mod:`vmplan.render.charts`).

Colours come from CSS classes (``c0`` .. ``c11``: the VM's slot in :mod:`vmplan.render.colours`,
the same in every chart; ``co`` for "other"), and each layer carries ``data-vm``, its VM's name.
"""

from __future__ import annotations

from html import escape

import numpy as np

from vmplan import timefmt
from vmplan.model import Inventory
from vmplan.render import charts, colours
from vmplan.render.charts import fmt
from vmplan.render.curves import max_pool
from vmplan.render.report_model import Panel


def layer_key(inv: Inventory, vm: int) -> str:
    """The palette slot of a layer: its VM's own (by name), or ``o`` for "other"."""
    return "o" if vm < 0 else str(colours.slot(inv.vms[vm].name))


def percent(fraction: float) -> str:
    return f"{fraction * 100:.0f}%"


def peak_text(inv: Inventory, panel: Panel, cores: float) -> str:
    if not panel.vms:
        return "no VMs"
    when = timefmt.time_of_day(inv, panel.peak_sample)
    return f"peak {percent(panel.peak / cores)} at {when}"


def chart_geometry(inv: Inventory, host: int, panel: Panel, top: float) -> charts.ChartGeometry:
    cores = float(inv.host_cores[host])
    if panel.layers:
        layers = np.stack([layer.values for layer in panel.layers]) / cores
    else:
        layers = np.zeros((0, inv.n_samples))
    limit = inv.hosts[host].cpu_limit
    return charts.chart(layers, limit, top, inv.interval_s, inv.start, peak_text(inv, panel, cores))


def chart_svg(inv: Inventory, host: int, panel: Panel, top: float, title: str) -> str:
    """The ``<svg>`` of one panel; ``top`` is the y scale's top in fractions of cores."""
    g = chart_geometry(inv, host, panel, top)
    f = g.frame
    right = f.left + f.plot_w
    base = f.top + f.plot_h
    out = [
        f'<svg class="chart-svg" viewBox="0 0 {f.width} {f.height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for t in g.y_ticks:
        y = fmt(t.px, 1)
        out.append(f'<line class="grid" x1="{f.left}" y1="{y}" x2="{right}" y2="{y}"/>')
        out.append(f'<text class="yl" x="{f.left - 4}" y="{fmt(t.px + 3.5, 1)}">{t.label}</text>')
    out.append(f'<g transform="{g.transform}">')
    for position in reversed(range(len(g.areas))):  # the highest cumulative first
        layer = panel.layers[position]
        key = layer_key(inv, layer.vm)
        vm = f' data-vm="{escape(layer.label)}"' if layer.vm >= 0 else ""
        out.append(f'<path class="c{key}"{vm} d="{g.areas[position]}"/>')
    out.append(f'<path class="total" d="{g.outline}"/></g>')
    for t in g.x_ticks:
        x = fmt(t.px, 1)
        out.append(f'<line class="tick" x1="{x}" y1="{base}" x2="{x}" y2="{base + 4}"/>')
        out.append(f'<text class="xl" x="{x}" y="{base + 15}">{escape(t.label)}</text>')
    out.append(f'<line class="axis" x1="{f.left}" y1="{base}" x2="{right}" y2="{base}"/>')
    ly = fmt(g.limit_y, 1)
    over = " over" if panel.over_cpu else ""
    limit = percent(inv.hosts[host].cpu_limit)
    out.append(f'<line class="limit{over}" x1="{f.left}" y1="{ly}" x2="{right}" y2="{ly}"/>')
    out.append(
        f'<text class="ll{over}" x="{right + 4}" y="{fmt(g.limit_y + 3.5, 1)}">limit {limit}</text>'
    )
    p = g.peak
    if panel.vms:  # an empty host has no peak to mark
        out.append(f'<circle class="peak" cx="{fmt(p.x, 1)}" cy="{fmt(p.y, 1)}" r="3.5"/>')
        out.append(
            f'<text class="pl" x="{fmt(p.label_x, 1)}" y="{fmt(p.label_y, 1)}" '
            f'text-anchor="{p.anchor}">{escape(p.label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


SMALL_W, SMALL_H, SMALL_POINTS = 120, 36, 60


def small_svg(inv: Inventory, host: int, panel: Panel, title: str) -> str:
    """A small multiple for the fleet overview: the combined CPU (max-pooled to at most
    :data:`SMALL_POINTS` points, so no peak is lost) against the limit, on a 0..max(peak, 100%)
    scale; vermillion when over the limit."""
    cores = float(inv.host_cores[host])
    frac = max_pool(panel.total / cores, SMALL_POINTS) if inv.n_samples else np.zeros(1)
    top = max(1.0, float(frac.max()) if frac.size else 0.0)
    n = max(frac.size - 1, 1)
    xs = [fmt(i * SMALL_W / n, 1) for i in range(frac.size)]
    ys = [fmt(SMALL_H - v / top * SMALL_H, 1) for v in frac.tolist()]
    points = " ".join(f"{x},{y}" for x, y in zip(xs, ys, strict=True))
    area = f"0,{SMALL_H} {points} {SMALL_W},{SMALL_H}"
    limit_y = fmt(SMALL_H - inv.hosts[host].cpu_limit / top * SMALL_H, 1)
    over = " over" if panel.over_cpu else ""
    return (
        f'<svg class="small-svg" viewBox="0 0 {SMALL_W} {SMALL_H}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<polygon class="sa{over}" points="{area}"/>'
        f'<line class="sl{over}" x1="0" y1="{limit_y}" x2="{SMALL_W}" y2="{limit_y}"/></svg>'
    )


def bucket(inv: Inventory) -> int:
    """Samples per drawn point in every chart of this inventory (1: all drawn)."""
    return charts.bucket_size(inv.n_samples)
