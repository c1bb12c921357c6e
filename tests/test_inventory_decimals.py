"""The vectorised CSV reader agrees with float() bit for bit, and refuses what it does not know."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vmplan.inventory import decimals


def cells(text: str, n: int) -> np.ndarray | None:
    return decimals.parse_cells(np.frombuffer(text.encode(), dtype=np.uint8), n)


def same(a: np.ndarray, b: list[float]) -> bool:
    return a.tobytes() == np.array(b, dtype=np.float64).tobytes()


def test_plain_decimals_and_empty_cells() -> None:
    got = cells("12,0.5,,100.,.25,007,0,99.999999999999,", 8)
    assert got is not None
    expected = [12.0, 0.5, math.nan, 100.0, 0.25, 7.0, 0.0, 99.999999999999]
    assert same(got, expected)


plain = st.from_regex(r"\A[0-9]{1,7}(\.[0-9]{0,7})?\Z|\A\.[0-9]{1,7}\Z")


@given(st.lists(plain | st.just(""), min_size=1, max_size=60))
def test_every_plain_decimal_reads_exactly_as_float_does(tokens: list[str]) -> None:
    got = cells("".join(t + "," for t in tokens), len(tokens))
    assert got is not None
    assert same(got, [float(t) if t else math.nan for t in tokens])


NOT_PLAIN = ["1.2.3,", ".,", "1e5,", "-1,", "+1,", " 1,", "1 ,", '"1",', "nan,", "0x1,", "1_0,"]
TOO_LONG_OR_NOT_ASCII = ["1234567890123456,", "\u0661,"]


@pytest.mark.parametrize("text", [*NOT_PLAIN, *TOO_LONG_OR_NOT_ASCII])
def test_anything_but_a_plain_decimal_is_left_to_the_general_parser(text: str) -> None:
    assert cells(text, 1) is None


def test_the_wrong_number_of_cells_is_refused() -> None:
    assert cells("1,2,", 3) is None
    assert cells("1,2,3,", 2) is None


def test_csv_columns_come_back_by_vm_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decimals, "BLOCK_CELLS", 3 * 64)  # blocks of 64 rows
    rows = 64 * 3 + 5
    data = np.arange(rows * 3, dtype=np.float64).reshape(rows, 3) / 4
    body = "".join(f"t{t},{','.join(repr(float(v)) for v in data[t])}\n\n" for t in range(rows))
    got = decimals.csv_columns(lambda: [body.encode()], 3)
    assert got is not None
    values, stamps = got
    assert values.flags.c_contiguous and np.array_equal(values, data.T)
    # the body starts at line 2 of the file; every row is followed by a blank line
    assert stamps[:2] == [(2, b"t0"), (4, b"t1")] and len(stamps) == rows


@pytest.mark.parametrize(
    "body",
    [
        b"t0,1,2\nt1,1\n",
        b"t0,1,2\nt1,1,2,3\n",
        b"t0,1,2\n   \n",
        b"t0,1,x\n",
        b"",
        b"t0\n",
    ],
)
def test_ragged_or_odd_rows_are_left_to_the_general_parser(body: bytes) -> None:
    assert decimals.csv_columns(lambda: [body], 2) is None


def test_a_row_with_a_cell_too_many_beside_one_with_one_too_few_is_not_read() -> None:
    # both rows in one block (one thread): the block holds the right number of cells in all
    body = b"t0,1,2,3\nt1,1\nt2,1,2\n"
    assert decimals.csv_columns(lambda: [body], 2, workers=1) is None
    assert decimals.csv_columns(lambda: [b"t0,1,2\nt1,3,4\n"], 2, workers=1) is not None


def test_a_dot_in_every_cell_reads_the_same_as_a_dot_in_some() -> None:
    # one dot per cell is the usual export and takes a shortcut past the search for dots
    tokens = ["1.5", "2.25", "100.", ".5", "0.0", "99.999"]
    got = cells("".join(t + "," for t in tokens), len(tokens))
    assert got is not None and same(got, [float(t) for t in tokens])
    assert cells("1.5,2..5,", 2) is None and cells("1.5,.,", 2) is None
