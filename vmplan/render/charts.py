"""Chart geometry for the HTML report: series in, path data, ticks and markers out (no markup).

Coordinates. A chart is a :class:`Frame` in CSS pixels (the SVG viewBox) around a plot area. The
curves are drawn in *data units* inside the plot area: x is the sample index ``0 .. n-1`` and y an
integer from 0 at the top of the scale to :data:`Y_UNITS` at zero load; one SVG transform maps data
units to pixels. Small integers and relative path commands keep the text short, so a 100-host report
stays light. Values are fractions of the host's cores (1.0 = every core busy).

Stacked areas. Layer ``j`` is drawn as the area between the baseline and the cumulative sum of
layers ``0..j``; painting the highest cumulative first and the lower ones over it gives the stack.

Long series. At most ``max_points`` points are drawn per curve. When a series is longer, its samples
are split into contiguous buckets (the buckets of :func:`vmplan.render.curves.max_pool`) and each
bucket is drawn at the sample where the *combined* load is highest, with every layer's value at that
sample: the drawn top of the stack is the max-pooled combined series, so a peak is never drawn lower
than it is, and the layers still add up to what is drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from vmplan import timefmt
from vmplan.model import FloatArray, IntArray

Y_UNITS = 1000
MAX_POINTS = 300
#: Candidate spacings of the time axis, in seconds: 5 minutes to a week.
TICK_STEPS_S = (300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


@dataclass(frozen=True, slots=True)
class Frame:
    """The chart box in pixels and the margins that hold the axes and labels."""

    width: int = 640
    height: int = 210
    left: int = 40
    right: int = 66
    top: int = 20
    bottom: int = 22

    @property
    def plot_w(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> int:
        return self.height - self.top - self.bottom


@dataclass(frozen=True, slots=True)
class Tick:
    px: float  # position along its axis, in pixels
    label: str


@dataclass(frozen=True, slots=True)
class Marker:
    """A point in pixels with a label beside it (``anchor`` is the SVG text-anchor)."""

    x: float
    y: float
    label: str
    label_x: float
    label_y: float
    anchor: str


@dataclass(frozen=True, slots=True, eq=False)
class ChartGeometry:
    frame: Frame
    top: float  # the scale's top as a fraction of cores
    transform: str  # SVG transform from data units to pixels
    areas: tuple[str, ...]  # path data, layer 0 (bottom of the stack) first
    outline: str  # path data of the combined curve
    limit_y: float  # pixels
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    peak: Marker
    bucket: int  # samples per drawn point (1: every sample drawn)


def draw_samples(total: FloatArray, max_points: int = MAX_POINTS) -> IntArray:
    """The samples to draw: all of them, or per max-pool bucket the first with the highest total.

    ``total[draw_samples(total, w)]`` equals ``max_pool(total, w)``.
    """
    n = int(total.size)
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    edges = np.linspace(0, n, max_points + 1).round().astype(np.int64)
    bucket_of = np.repeat(np.arange(max_points), np.diff(edges))
    highest = np.maximum.reduceat(total, edges[:-1])
    candidates = np.flatnonzero(total == highest[bucket_of])
    buckets = bucket_of[candidates]
    first = np.r_[True, buckets[1:] != buckets[:-1]]
    return candidates[first].astype(np.int64)


def bucket_size(n: int, max_points: int = MAX_POINTS) -> int:
    """The most samples one drawn point stands for."""
    return 1 if n <= max_points else math.ceil(n / max_points)


def scale_top(peak: float) -> float:
    """The top of the y scale: 100% of cores, or the peak rounded up to the next 10%."""
    return max(1.0, math.ceil(round(peak * 10, 9)) / 10)


def to_units(frac: FloatArray, top: float) -> IntArray:
    """Fractions of cores -> integer y data units (0 at ``top``, ``Y_UNITS`` at zero)."""
    clipped = np.clip(frac, 0.0, None)
    return np.rint(Y_UNITS * (1.0 - clipped / top)).astype(np.int64)


def stacked_points(layers: FloatArray, samples: IntArray, top: float) -> list[IntArray]:
    """Per layer, the y data units of the stack's upper edge at ``samples`` (bottom layer first)."""
    if layers.shape[0] == 0:
        return []
    cum = np.cumsum(np.clip(layers[:, samples], 0.0, None), axis=0)
    return list(to_units(cum, top))


#: Decimal text of the small integers that make up path data (a gather beats str() per number).
_DIGITS_RANGE = 4 * Y_UNITS
_DIGITS = np.array([str(i) for i in range(-_DIGITS_RANGE, _DIGITS_RANGE + 1)], dtype=object)


def _relative(xs: IntArray, ys: IntArray) -> str:
    """``l`` pairs from each point to the next: ``1-3 1 4`` (a minus sign needs no separator)."""
    pairs = np.column_stack((np.diff(xs), np.diff(ys))).ravel()
    if pairs.size and np.abs(pairs).max() <= _DIGITS_RANGE:
        words = _DIGITS[pairs + _DIGITS_RANGE].tolist()
    else:
        words = list(map(str, pairs.tolist()))
    return " ".join(words).replace(" -", "-")


def area_path(xs: IntArray, ys: IntArray) -> str:
    """Closed path between the baseline and the points ``(xs[i], ys[i])`` (data units)."""
    rest = _relative(xs, ys)
    steps = f"l{rest}" if rest else ""
    return f"M{xs[0]} {Y_UNITS}V{ys[0]}{steps}V{Y_UNITS}Z"


def line_path(xs: IntArray, ys: IntArray) -> str:
    rest = _relative(xs, ys)
    return f"M{xs[0]} {ys[0]}" + (f"l{rest}" if rest else "")


def fmt(v: float, decimals: int = 2) -> str:
    """A short, stable number for SVG attributes: rounded, without trailing zeros."""
    text = f"{v:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def y_px(frame: Frame, frac: float, top: float) -> float:
    return frame.top + (1.0 - frac / top) * frame.plot_h


def x_px(frame: Frame, position: float, span: int) -> float:
    return frame.left + position / span * frame.plot_w


def _tick_step(span_s: int, interval_s: int, max_ticks: int) -> int:
    for step in TICK_STEPS_S:
        if step >= interval_s and span_s / step <= max_ticks:
            return step
    week = TICK_STEPS_S[-1]
    return week * math.ceil(span_s / max_ticks / week)


def time_ticks(
    frame: Frame, n: int, interval_s: int, start: datetime | None, max_ticks: int = 8
) -> tuple[Tick, ...]:
    """Ticks of the time axis at round times of day (in the zone of ``start``), or at round
    offsets without a start.

    Sample ``i`` lies ``i * interval_s`` after the first; with a start the ticks fall on multiples
    of the step since the zone's midnight (``03:00``, ``06:00``), and midnights of a multi-day
    series show the day (text from :mod:`vmplan.timefmt`).
    """
    span = max(n - 1, 1)
    span_s = span * interval_s
    step = _tick_step(span_s, interval_s, max_ticks)
    shift = 0 if start is None else timefmt.utc_offset_s(start)
    origin = 0 if start is None else int(start.timestamp()) + shift
    ticks: list[Tick] = []
    t = -(-origin // step) * step
    while t - origin <= span_s:
        position = (t - origin) / interval_s
        if start is None:
            label = timefmt.offset_label(t)
        else:
            label = timefmt.tick_label(start, t - origin, span_s)
        ticks.append(Tick(x_px(frame, position, span), label))
        t += step
    return tuple(ticks)


def value_ticks(frame: Frame, top: float) -> tuple[Tick, ...]:
    """Every 25% of cores from 0 up to the top of the scale."""
    count = math.floor(round(top / 0.25, 9))
    return tuple(Tick(y_px(frame, k * 0.25, top), f"{k * 25}%") for k in range(count + 1))


def peak_marker(
    frame: Frame,
    sample: int,
    frac: float,
    span: int,
    top: float,
    label: str,
    avoid_y: float | None = None,
) -> Marker:
    """The peak's dot, with its label on the side that has room, above the dot when possible.

    ``avoid_y`` is a horizontal line (the limit) the label must not sit on: a label that would
    cross it moves just above it, or below it when there is no room above.
    """
    x = x_px(frame, sample, span)
    y = y_px(frame, frac, top)
    right_side = x < frame.left + 0.62 * frame.plot_w
    label_y = y - 7 if y - 7 >= 12 else y + 16
    # the text spans about 9 px above its baseline and 2 below
    if avoid_y is not None and label_y - 9 - 2 < avoid_y < label_y + 2 + 2:
        label_y = avoid_y - 4 if avoid_y - 4 >= 12 else avoid_y + 13
    return Marker(
        x, y, label, x + 7 if right_side else x - 7, label_y, "start" if right_side else "end"
    )


def chart(
    layers: FloatArray,
    limit: float,
    top: float,
    interval_s: int,
    start: datetime | None,
    peak_label: str,
    frame: Frame = Frame(),
    max_points: int = MAX_POINTS,
) -> ChartGeometry:
    """The geometry of one stacked chart.

    ``layers`` is (layers x samples) in fractions of the host's cores, bottom layer first;
    ``limit`` is the CPU limit and ``top`` the scale's top (see :func:`scale_top`), both fractions.
    An empty ``layers`` (a host without VMs) draws a zero line.
    """
    n = int(layers.shape[1])
    total = layers.sum(axis=0) if layers.shape[0] else np.zeros(n)
    samples = draw_samples(total, max_points)
    span = max(n - 1, 1)
    tops = stacked_points(layers, samples, top)
    zero = np.full(samples.size, Y_UNITS, dtype=np.int64)
    xs = samples
    if samples.size == 1:  # one sample: a flat line across the whole plot
        xs = np.array([0, 1], dtype=np.int64)
        tops = [np.repeat(t, 2) for t in tops]
        zero = np.repeat(zero[:1], 2)
    areas = tuple(area_path(xs, t) for t in tops)
    outline = line_path(xs, tops[-1] if tops else zero)
    peak_sample = int(np.argmax(total)) if n else 0
    peak = float(total[peak_sample]) if n else 0.0
    transform = (
        f"translate({frame.left} {frame.top}) "
        f"scale({fmt(frame.plot_w / span, 6)} {fmt(frame.plot_h / Y_UNITS, 6)})"
    )
    limit_y = y_px(frame, limit, top)
    return ChartGeometry(
        frame=frame,
        top=top,
        transform=transform,
        areas=areas,
        outline=outline,
        limit_y=limit_y,
        x_ticks=time_ticks(frame, n, interval_s, start),
        y_ticks=value_ticks(frame, top),
        peak=peak_marker(frame, peak_sample, peak, span, top, peak_label, limit_y),
        bucket=bucket_size(n, max_points),
    )
