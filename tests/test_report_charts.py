"""Chart geometry of the HTML report: known series -> known points, ticks, and peak-safe pooling."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vmplan.render import charts
from vmplan.render.charts import Frame
from vmplan.render.curves import max_pool

FRAME = Frame()  # 640 x 210; plot 534 x 168 from (40, 20)
MIDNIGHT = datetime(2026, 11, 2, tzinfo=UTC)


def test_frame_plot_area() -> None:
    assert (FRAME.plot_w, FRAME.plot_h) == (534, 168)


def test_a_ramp_maps_to_known_points() -> None:
    ys = charts.stacked_points(np.array([[0.0, 0.5, 1.0]]), np.arange(3), top=1.0)
    assert ys[0].tolist() == [1000, 500, 0]
    assert charts.area_path(np.arange(3), ys[0]) == "M0 1000V1000l1-500 1-500V1000Z"
    assert charts.line_path(np.arange(3), ys[0]) == "M0 1000l1-500 1-500"


def test_layers_stack_on_each_other() -> None:
    layers = np.array([[0.2, 0.2, 0.2], [0.1, 0.3, 0.0]])
    ys = charts.stacked_points(layers, np.arange(3), top=1.0)
    assert [y.tolist() for y in ys] == [[800, 800, 800], [700, 500, 800]]
    assert charts.area_path(np.arange(3), ys[1]) == "M0 1000V700l1-200 1 300V1000Z"


def test_negative_samples_are_drawn_at_zero_and_scale_top_stretches() -> None:
    ys = charts.stacked_points(np.array([[-0.0, -0.01, 1.2]]), np.arange(3), top=1.2)
    assert ys[0].tolist() == [1000, 1000, 0]


@pytest.mark.parametrize(
    ("peak", "top"), [(0.0, 1.0), (0.57, 1.0), (1.0, 1.0), (1.23, 1.3), (1.3, 1.3), (2.01, 2.1)]
)
def test_scale_top(peak: float, top: float) -> None:
    assert charts.scale_top(peak) == pytest.approx(top)


def test_value_ticks_every_quarter_up_to_the_top() -> None:
    ticks = charts.value_ticks(FRAME, 1.3)
    assert [t.label for t in ticks] == ["0%", "25%", "50%", "75%", "100%", "125%"]
    assert ticks[0].px == pytest.approx(20 + 168)
    assert ticks[4].px == pytest.approx(20 + 168 * (1 - 1 / 1.3))


def test_time_ticks_fall_on_round_times_of_day() -> None:
    ticks = charts.time_ticks(FRAME, 288, 300, MIDNIGHT)
    assert [t.label for t in ticks] == [f"{h:02d}:00" for h in range(0, 24, 3)]
    assert ticks[0].px == pytest.approx(40)
    assert ticks[1].px == pytest.approx(40 + 36 / 287 * 534)  # 03:00 is sample 36 of 0..287


def test_time_ticks_start_at_the_first_round_time_after_start() -> None:
    start = datetime(2026, 11, 2, 8, 12, tzinfo=UTC)
    ticks = charts.time_ticks(FRAME, 12, 300, start)  # 08:12 .. 09:07
    assert [t.label for t in ticks] == ["08:20", "08:30", "08:40", "08:50", "09:00"]
    assert ticks[0].px == pytest.approx(40 + (8 * 60 / 300) / 11 * 534)


def test_multi_day_ticks_show_dates_at_midnight() -> None:
    ticks = charts.time_ticks(FRAME, 2016, 300, MIDNIGHT)  # a week
    assert [t.label for t in ticks] == [f"Nov {d:02d}" for d in range(2, 9)]


def test_time_ticks_without_start_are_offsets() -> None:
    ticks = charts.time_ticks(FRAME, 288, 300, None)
    assert [t.label for t in ticks] == ["+0h", "+3h", "+6h", "+9h", "+12h", "+15h", "+18h", "+21h"]


def test_peak_marker_and_limit_line_positions() -> None:
    layers = np.zeros((1, 288))
    layers[0, 115] = 0.72
    g = charts.chart(layers, limit=0.8, top=1.0, interval_s=300, start=MIDNIGHT, peak_label="p")
    assert g.limit_y == pytest.approx(20 + 0.2 * 168)
    assert (g.peak.x, g.peak.y) == pytest.approx((40 + 115 / 287 * 534, 20 + 0.28 * 168))
    assert (g.peak.anchor, g.peak.label_x) == ("start", pytest.approx(g.peak.x + 7))
    assert g.bucket == 1
    assert g.transform == "translate(40 20) scale(1.860627 0.168)"


def test_peak_label_moves_left_near_the_right_edge_and_below_near_the_top() -> None:
    m = charts.peak_marker(FRAME, sample=280, frac=1.0, span=287, top=1.0, label="p")
    assert m.anchor == "end" and m.label_x == pytest.approx(m.x - 7)
    assert m.label_y == pytest.approx(m.y - 7)  # above the dot, in the top margin
    low_margin = Frame(top=8)
    m = charts.peak_marker(low_margin, sample=3, frac=1.0, span=287, top=1.0, label="p")
    assert m.anchor == "start" and m.label_y == pytest.approx(m.y + 16)  # no room above


def test_the_peak_label_keeps_off_the_limit_line() -> None:
    limit_y = charts.y_px(FRAME, 0.8, 1.0)  # 53.6
    m = charts.peak_marker(FRAME, 100, 0.74, 287, 1.0, "p", avoid_y=limit_y)
    assert m.y - 7 > limit_y - 11  # the label would have crossed the line...
    assert m.label_y == pytest.approx(limit_y - 4)  # ...so it sits just above it
    m = charts.peak_marker(FRAME, 100, 0.5, 287, 1.0, "p", avoid_y=limit_y)
    assert m.label_y == pytest.approx(m.y - 7)  # far below the line: unchanged
    m = charts.peak_marker(Frame(top=8), 100, 1 - 12 / 180, 287, 1.0, "p", avoid_y=10.0)
    assert m.label_y == pytest.approx(23)  # no room above a line at the very top: below it


def test_one_sample_is_drawn_across_the_plot() -> None:
    g = charts.chart(np.array([[0.5]]), 0.8, 1.0, 300, None, "p")
    assert g.areas == ("M0 1000V500l1 0V1000Z",)


def test_a_host_without_vms_draws_a_zero_line() -> None:
    g = charts.chart(np.zeros((0, 4)), 0.8, 1.0, 300, None, "p")
    assert g.areas == ()
    assert g.outline == "M0 1000l1 0 1 0 1 0"


def test_long_series_are_pooled_at_the_highest_combined_sample() -> None:
    total = np.zeros(600)
    total[[3, 250, 599]] = [0.4, 0.9, 0.3]
    samples = charts.draw_samples(total, 300)
    assert samples.size == 300
    assert {3, 250, 599} <= set(samples.tolist())
    assert charts.bucket_size(600, 300) == 2
    assert charts.bucket_size(2016, 300) == 7


@settings(max_examples=100, database=None, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(1, 900)),
        elements=st.floats(0, 2, allow_nan=False, width=32),
    ),
    st.integers(2, 400),
)
def test_pooling_never_lowers_a_peak(layers: np.ndarray, width: int) -> None:
    total = layers.sum(axis=0)
    samples = charts.draw_samples(total, width)
    assert samples.size == min(total.size, width)
    assert np.all(np.diff(samples) > 0)  # left to right, each sample once
    # the drawn top of the stack is the max-pooled combined series: every bucket's highest point
    assert np.array_equal(total[samples], max_pool(total, width))
    assert total[samples].max() == total.max()
    # and the layers drawn at those samples add up to it
    tops = charts.stacked_points(layers, samples, top=charts.scale_top(float(total.max())))
    expected = charts.to_units(max_pool(total, width), charts.scale_top(float(total.max())))
    assert np.all(np.abs(tops[-1] - expected) <= 1)


@settings(database=None, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(1, 3000), elements=st.floats(0, 1, width=32)),
    st.integers(1, 500),
)
def test_max_pool_keeps_every_peak_of_its_bucket(values: np.ndarray, width: int) -> None:
    pooled = max_pool(values, width)
    n = values.size
    if n <= width:
        assert np.array_equal(pooled, values)
        return
    edges = np.linspace(0, n, width + 1).round().astype(int)
    for i in range(width):
        assert pooled[i] == values[edges[i] : edges[i + 1]].max()
    assert pooled.max() == values.max()


def test_fmt_is_short_and_stable() -> None:
    values = (0.0, -0.001, 1.5, 2.0, 12.125)
    assert [charts.fmt(v) for v in values] == ["0", "0", "1.5", "2", "12.12"]
    assert charts.fmt(1 / 3, 6) == "0.333333"
