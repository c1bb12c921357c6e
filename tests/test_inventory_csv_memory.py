"""Loading a wide CSV of series costs the matrix it fills and little more (issue 15): the text is
read in pieces, never held whole beside the matrix, nor copied whole as a body or a list of
lines; and the demand is the CSV's matrix itself, its rows put in the inventory's order in place.

Peaks are measured with tracemalloc, which sees bytes objects and numpy's arrays alike.
"""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vmplan.inventory import csvseries, demand, files, load

VMS, SAMPLES = 2000, 4000
MATRIX_BYTES = VMS * SAMPLES * 8  # 61 MiB; the file is 36 MiB
T = TypeVar("T")


def write_csv(path: Path) -> np.ndarray:
    """A CSV of VMS columns (vm0, vm1, ...) and SAMPLES rows; returns its values as tenths."""
    rng = np.random.default_rng(15)
    tenths = rng.integers(0, 1001, size=(SAMPLES, VMS))  # one decimal, as exports write them
    texts = np.array([f"{i / 10:g}" for i in range(1001)], dtype=object)
    with path.open("w") as f:
        f.write("timestamp," + ",".join(f"vm{v}" for v in range(VMS)) + "\n")
        f.writelines(f"{t},{','.join(texts[tenths[t]])}\n" for t in range(SAMPLES))
    return tenths


def traced(call: Callable[[], T]) -> tuple[T, int]:
    """What ``call`` returns, and the peak of memory allocated while it ran."""
    tracemalloc.start()
    try:
        return call(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_wide_csv_is_read_in_little_more_memory_than_its_matrix(tmp_path: Path) -> None:
    tenths = write_csv(tmp_path / "cpu.csv")
    (table, problems), peak = traced(
        lambda: csvseries.read_csv(tmp_path / "cpu.csv", "cpu.csv", 1 << 30)
    )
    assert table is not None and not problems
    assert table.values.flags.c_contiguous and table.values.shape == (VMS, SAMPLES)
    assert np.array_equal(table.values, tenths.T / 10)
    # the matrix, a piece of the file and the blocks being parsed (about 25 MiB here); reading
    # the file whole, then its body and its lines, peaked at 3.2 times the matrix
    assert peak <= 1.5 * MATRIX_BYTES + (8 << 20), f"peak {peak / MATRIX_BYTES:.2f}x the matrix"


def test_vms_listed_in_another_order_than_the_columns_cost_no_second_matrix(
    tmp_path: Path,
) -> None:
    tenths = write_csv(tmp_path / "cpu.csv")
    order = list(range(VMS - 1, 0, -1))  # backwards, and vm0's column is not used
    vms = "".join(f"  - {{name: vm{v}, host: esx01, vcpus: 2, memory: 1GiB}}\n" for v in order)
    path = tmp_path / "inventory.yaml"
    path.write_text(
        "version: 1\ninterval: 5m\ncpu_series: cpu.csv\n"
        "hosts: [{name: esx01, cpus: 4000, memory: 4TiB}]\nvms:\n" + vms
    )
    loaded, peak = traced(lambda: load([path]))
    got = loaded.inventory.demand
    assert got.flags.c_contiguous and got.shape == (VMS - 1, SAMPLES)
    assert np.array_equal(got, tenths.T[order] / 10 * (2 / 100))  # as demand scales it
    # a copy in VM order (vstack) beside the CSV's matrix peaked at 2.2 times it
    assert peak <= 1.5 * MATRIX_BYTES + (8 << 20), f"peak {peak / MATRIX_BYTES:.2f}x the matrix"


@given(
    st.integers(1, 12).flatmap(lambda m: st.tuples(st.just(m), st.permutations(range(m)))),
    st.integers(0, 12),
)
def test_rows_are_put_in_order_in_place(m_perm: tuple[int, list[int]], drop: int) -> None:
    m, perm = m_perm
    order = perm[: max(1, m - drop)]
    values = np.arange(m * 3, dtype=np.float64).reshape(m, 3)
    expected = values[order]
    got = demand._in_order(values, order)
    assert np.array_equal(got, expected)
    assert got.flags.c_contiguous and np.shares_memory(got, values)


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        (b"ab\ncd\nef\n", [b"ab\ncd\n", b"ef\n"]),  # cut at the last line end of each read
        (b"abcdefgh\nij", [b"abcdefgh\n", b"ij"]),  # a line longer than a read; no final end
        (b"", []),
    ],
)
def test_a_file_is_read_in_pieces_of_whole_lines(text: bytes, pieces: list[bytes]) -> None:
    assert list(files.line_pieces(io.BytesIO(text), 100, size=7)) == pieces


def test_reading_in_pieces_stops_past_the_limit() -> None:
    with pytest.raises(files.TooLarge):
        list(files.line_pieces(io.BytesIO(b"ab\n" * 10), 29, size=7))
    assert len(list(files.line_pieces(io.BytesIO(b"ab\n" * 10), 30, size=7))) == 5


PLAIN = b"timestamp,a,b\r\n0,1.5,2\r\n\r\n1,,3.25\n\n2,4,100.\r\n3,0,7"  # decimals.py reads it
QUOTED = b'timestamp,"a",b\r\n0,"1.5",2\r\n\r\n1,,3.25\n\n2,"4",100.\r\n3,0,7'  # loadtxt does


@pytest.mark.parametrize("piece_bytes", [5, 16, 1 << 22])
@pytest.mark.parametrize("text", [PLAIN, QUOTED])
def test_pieces_cut_anywhere_read_as_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece_bytes: int, text: bytes
) -> None:
    # CRLF line ends, blank lines and a last line without its end, read in small pieces
    (tmp_path / "cpu.csv").write_bytes(text)
    monkeypatch.setattr(csvseries, "PIECE_BYTES", piece_bytes)
    table, problems = csvseries.read_csv(tmp_path / "cpu.csv", "cpu.csv", 1 << 20)
    assert table is not None and not problems
    assert table.columns == {"a": 0, "b": 1}
    expected = [[1.5, np.nan, 4, 0], [2, 3.25, 100, 7]]
    np.testing.assert_array_equal(table.values, np.array(expected))
    assert table.stamps == ((2, "0"), (4, "1"), (6, "2"), (7, "3"))


LOAD_RSS = """
import sys
from pathlib import Path
from vmplan.inventory import load
inv = load(sys.argv[1:]).inventory
status = Path("/proc/self/status").read_text().splitlines()
peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(inv.demand.nbytes, peak * 1024)
"""


def _load_rss(files: list[str]) -> tuple[int, int]:
    """The demand matrix's bytes and the peak resident memory of a process that loads ``files``
    (its own high-water mark: ``ru_maxrss`` would start from this process's, inherited)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", LOAD_RSS, *files], capture_output=True, text=True, check=True
    )
    matrix, rss = done.stdout.split()
    return int(matrix), int(rss)


def test_a_fleet_of_one_csv_per_cluster_is_stacked_without_a_second_matrix(
    tmp_path: Path,
) -> None:
    """Four clusters of 2,000 VMs x 4,000 samples, a CSV each (244 MiB of demand): the rows are
    copied into the matrix as its pages are written and each CSV's array is let go after its
    last row, so the process peaks near one matrix beside the CSVs (1.9 times it over an empty
    load at this size, where the parser's fixed buffers weigh), where ``np.vstack`` of every
    CSV's rows held two (2.3 times)."""
    from fleetgen import write_fleet

    files = [str(p) for p in write_fleet(tmp_path, 4, 2000, 40, 4000)]
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(
        "version: 1\nhosts: [{name: h, cpus: 8, memory: 8GiB}]\n"
        "vms: [{name: v, host: h, vcpus: 1, memory: 1GiB, cpu: [1, 2]}]\n"
    )
    _, baseline = _load_rss([str(tiny)])
    matrix, rss = _load_rss(files)
    assert matrix == 4 * 2000 * 4000 * 8
    assert rss - baseline <= 2.05 * matrix, f"{(rss - baseline) / matrix:.2f} times the matrix"
