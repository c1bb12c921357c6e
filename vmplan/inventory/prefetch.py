"""A large cpu_series CSV parsed by other processes while this one reads the YAML.

On a 10,000-VM fleet the YAML (parse and schema) and the CSV (a week of samples) take over a
second each, and neither can use the other core from a thread (the YAML work holds Python's
lock). So forked children (one per core) parse the CSV, each a share of its rows, into one shared
anonymous mapping, and send only the small rest (column names, row stamps) through pipes; the
parent's array is that mapping, with no copy. A child that meets any problem says so, and the
parent reads the whole file itself, to report it at its true line.

Linux only (fork shares the mapping and needs no imports), only for a file of at least
:data:`MIN_BYTES`, and only while the process runs no other Python thread (a fork copies no thread,
so a lock another thread holds would stay locked in a child). Otherwise, or if a child fails, the
caller reads the file itself.
"""

from __future__ import annotations

import contextlib
import itertools
import mmap
import multiprocessing
import signal
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from vmplan.inventory import files, series
from vmplan.problems import Problem

MIN_BYTES = 8 << 20
#: Child processes, each parsing a contiguous share of the rows (two cores: two children).
PARTS = 2

CsvRead = tuple[series.CsvSeries | None, list[Problem]]


class Prefetch:
    """A CSV being parsed by child processes; :meth:`result` waits for them."""

    def __init__(
        self, children: list[tuple[Any, Connection]], buffer: mmap.mmap, shape: tuple[int, int]
    ) -> None:
        self._children = children
        self._buffer = buffer
        self._shape = shape

    @classmethod
    def start(cls, path: Path, max_bytes: int) -> Prefetch | None:
        """Start parsing ``path``, or None when it is better read later in this process."""
        if sys.platform != "linux" or threading.active_count() > 1:
            return None
        try:
            size = path.stat().st_size
            if not MIN_BYTES <= size <= max_bytes or not path.is_file():
                return None
            data = files.read_limited(path, max_bytes)
            if len(data) > max_bytes:  # it grew since: the caller's read reports the limit
                return None
            parts = _parts(data)
            if not parts:
                return None
            columns = data[: data.find(b"\n")].count(b",")
            shape = (columns, sum(rows for _start, _end, rows in parts))
            buffer = mmap.mmap(-1, max(1, shape[0] * shape[1] * 8))
            context = multiprocessing.get_context("fork")
            children = []
            done_rows = 0
            for start, end, rows in parts:
                receive, send = context.Pipe(duplex=False)
                layout = (shape, done_rows, rows, data.count(b"\n", 0, start) - 1)
                process = context.Process(
                    target=_child,
                    args=(data, start, end, str(path), buffer, layout, send),
                    daemon=True,
                )
                process.start()
                send.close()
                children.append((process, receive))
                done_rows += rows
        except (OSError, ValueError):  # no room for the buffer, no fork: read it later
            return None
        return cls(children, buffer, shape)

    def result(self) -> CsvRead | None:
        """The parsed CSV, or None when this process should read it itself: a child failed, or
        found a problem (the whole file's read reports it at its true line)."""
        messages = []
        for process, pipe in self._children:
            try:
                messages.append(pipe.recv())
            except (EOFError, OSError):
                messages.append(None)
            process.join()
            pipe.close()
        if any(m is None for m in messages):
            return None
        names = messages[0][0]
        stamps = tuple(stamp for _names, part in messages for stamp in part)
        values = np.ndarray(self._shape, dtype=np.float64, buffer=self._buffer)
        return series.CsvSeries(names, values, stamps), []

    def cancel(self) -> None:
        """The YAML named another file after all: stop the children."""
        for process, pipe in self._children:
            process.terminate()
            process.join()
            pipe.close()


def _parts(data: bytes) -> list[tuple[int, int, int]]:
    """(start, end, lines) of up to :data:`PARTS` runs of whole lines after the header."""
    body = data.find(b"\n") + 1
    if body == 0:
        return []
    cuts = [body]
    for k in range(1, PARTS):
        at = data.find(b"\n", body + (len(data) - body) * k // PARTS)
        cuts.append(len(data) if at < 0 else max(at + 1, cuts[-1]))
    cuts.append(len(data))
    parts = []
    for start, end in itertools.pairwise(cuts):
        # its lines; a blank one makes the child find fewer rows, and the parent read the file
        rows = data.count(b"\n", start, end) + (end > start and data[end - 1] != 0x0A)
        if rows:
            parts.append((start, end, rows))
    return parts


def _child(
    data: bytes,
    start: int,
    end: int,
    shown: str,
    buffer: mmap.mmap,
    layout: tuple[tuple[int, int], int, int, int],
    pipe: Connection,
) -> None:
    """Parse the header and ``data[start:end]``; write its columns at their place in the buffer.

    ``layout``: the whole table's shape, this part's first row and row count, and how many lines
    of the file come before this part's first line besides the header.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        shape, first, rows, lines_before = layout
        header = data[: data.find(b"\n") + 1]
        # one thread: the other children and the parent have the other cores
        table, problems = series.parse_csv(header + data[start:end], shown, workers=1)
        if problems or table is None or table.values.shape != (shape[0], rows):
            pipe.send(None)
            return
        out = np.ndarray(shape, dtype=np.float64, buffer=buffer)
        out[:, first : first + rows] = table.values
        pipe.send((table.columns, [(line + lines_before, text) for line, text in table.stamps]))
    except BaseException:  # whatever it is, the parent reads the file itself and says it
        with contextlib.suppress(OSError):  # unless the parent has gone already
            pipe.send(None)
