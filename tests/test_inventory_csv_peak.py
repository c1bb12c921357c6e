"""Reading a wide CSV of series costs the matrix it fills and little more (issue 15): the text is
read in pieces, never held whole beside the matrix, nor copied whole as a body or a list of lines.

The peak is measured with tracemalloc, which sees bytes objects and numpy's arrays alike.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np

from vmplan.inventory import csvseries

VMS, SAMPLES = 2000, 4000


def test_a_wide_csv_is_read_in_little_more_memory_than_its_matrix(tmp_path: Path) -> None:
    rng = np.random.default_rng(15)
    tenths = rng.integers(0, 1001, size=(SAMPLES, VMS))  # one decimal, as exports write them
    texts = np.array([f"{i / 10:g}" for i in range(1001)], dtype=object)
    path = tmp_path / "cpu.csv"
    with path.open("w") as f:
        f.write("timestamp," + ",".join(f"vm{v}" for v in range(VMS)) + "\n")
        f.writelines(f"{t},{','.join(texts[tenths[t]])}\n" for t in range(SAMPLES))
    matrix_bytes = VMS * SAMPLES * 8  # 61 MiB; the file is 36 MiB

    tracemalloc.start()
    try:
        table, problems = csvseries.read_csv(path, "cpu.csv", 1 << 30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert table is not None and not problems
    assert table.values.flags.c_contiguous and table.values.shape == (VMS, SAMPLES)
    assert np.array_equal(table.values, tenths.T / 10)
    # the matrix, a piece of the file and the blocks being parsed (about 25 MiB here); reading
    # the file whole, then its body and its lines, peaked at 196 MiB
    assert peak <= 1.5 * matrix_bytes + (8 << 20), f"peak {peak / matrix_bytes:.2f}x the matrix"
