"""The small numeric helpers that replaced scipy calls agree with scipy and numpy."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import linear_sum_assignment

from vmplan.engine.assign import assign
from vmplan.model import sum_rows


@st.composite
def cost_matrices(draw: st.DrawFn) -> np.ndarray:
    rows = draw(st.integers(1, 7))
    cols = draw(st.integers(rows, 9))
    costs = draw(hnp.arrays(np.float64, (rows, cols), elements=st.integers(-50, 50)))
    forbidden = draw(hnp.arrays(np.bool_, (rows, cols)))
    return np.where(forbidden, 1e6, costs)


@given(cost_matrices())
def test_assignment_cost_is_scipys_optimum(cost: np.ndarray) -> None:
    cols = assign(cost)
    assert len(set(cols.tolist())) == cost.shape[0]  # every row its own column
    r, c = linear_sum_assignment(cost)
    assert cost[np.arange(cost.shape[0]), cols].sum() == cost[r, c].sum()


def test_more_rows_than_columns_is_refused() -> None:
    try:
        assign(np.zeros((3, 2)))
    except ValueError as exc:
        assert "3 rows" in str(exc)
    else:
        raise AssertionError("expected a ValueError")


@st.composite
def labelled_rows(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n, columns = draw(st.integers(0, 40)), draw(st.integers(1, 5))  # one column: a 1-sample series
    rows = draw(hnp.arrays(np.float64, (n, columns), elements=st.floats(0, 100)))
    return rows, draw(hnp.arrays(np.int64, n, elements=st.integers(-1, 3)))


@given(labelled_rows())
def test_sum_rows_adds_like_add_at(case: tuple[np.ndarray, np.ndarray]) -> None:
    rows, labels = case
    expected = np.zeros((4, rows.shape[1]))
    keep = labels >= 0
    np.add.at(expected, labels[keep], rows[keep])
    assert np.array_equal(sum_rows(rows, labels, 4), expected)
