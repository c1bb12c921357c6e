"""Rectangular assignment: give every row its own column, at the least total cost.

The Hungarian method with potentials (shortest augmenting paths, as in Jonker and Volgenant),
O(rows^2 x columns) in the worst case, with numpy over the columns. Relabelling the bins of a
packing onto today's hosts needs it at a size (about 100 bins x 300 hosts) where this takes
milliseconds, and it spares importing scipy's graph and linear-algebra modules, which cost more
than the solve on every large run.
"""

from __future__ import annotations

import numpy as np

from vmplan.model import FloatArray, IntArray


def assign(cost: FloatArray) -> IntArray:
    """The column of every row (rows <= columns) minimising the sum of ``cost[row, column]``.

    Costs must be finite; make a forbidden pair cost more than any allowed assignment and check
    the result. Among assignments of equal cost it returns one deterministically (not always the
    one scipy's ``linear_sum_assignment`` returns).
    """
    n, m = cost.shape
    if n > m:
        raise ValueError(f"{n} rows cannot each get one of {m} columns")
    # 1-based as in the textbook: column 0 is the virtual start of every augmenting path
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    row_of = np.zeros(m + 1, dtype=np.int64)  # the row on each column, 0 = none
    way = np.zeros(m + 1, dtype=np.int64)
    for i in range(1, n + 1):
        row_of[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=np.bool_)
        while True:
            used[j0] = True
            i0 = row_of[j0]
            free = ~used
            free[0] = False
            reduced = cost[i0 - 1] - u[i0] - v[1:]
            better = free[1:] & (reduced < minv[1:])
            minv[1:][better] = reduced[better]
            way[1:][better] = j0
            j1 = int(np.argmin(np.where(free, minv, np.inf)))
            delta = minv[j1]
            u[row_of[used]] += delta
            v[used] -= delta
            minv[free] -= delta
            j0 = j1
            if row_of[j0] == 0:
                break
        while j0:  # augment along the path found
            j1 = int(way[j0])
            row_of[j0] = row_of[j1]
            j0 = j1
    out = np.empty(n, dtype=np.int64)
    cols = np.flatnonzero(row_of[1:])
    out[row_of[1:][cols] - 1] = cols
    return out
