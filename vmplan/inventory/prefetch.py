"""A large cpu_series CSV parsed in a second process while this one reads the YAML.

On a 10,000-VM fleet the YAML (parse and schema) and the CSV (a week of samples) take over a
second each, and neither can use the other core from a thread (the YAML work holds Python's
lock). So a forked child parses the CSV into a shared anonymous mapping, and sends only the small
rest (column names, problems) through a pipe; the parent's array is that mapping, with no copy.

Linux only (fork shares the mapping and needs no imports), only for a file of at least
:data:`MIN_BYTES`, and only while the process runs no other Python thread (a fork copies no thread,
so a lock another thread holds would stay locked in the child). Otherwise, or if the child fails,
the caller reads the file itself.
"""

from __future__ import annotations

import contextlib
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

CsvRead = tuple[series.CsvSeries | None, list[Problem]]


class Prefetch:
    """A CSV being parsed by a child process; :meth:`result` waits for it."""

    def __init__(self, process: Any, pipe: Connection, buffer: mmap.mmap) -> None:
        self._process = process
        self._pipe = pipe
        self._buffer = buffer

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
            head = data[: data.find(b"\n")]
            columns = head.count(b",")
            rows = data.count(b"\n") + 1  # at least the samples: blank lines only add
            buffer = mmap.mmap(-1, max(1, columns * rows * 8))
            context = multiprocessing.get_context("fork")
            receive, send = context.Pipe(duplex=False)
            process = context.Process(
                target=_child, args=(data, str(path), buffer, send), daemon=True
            )
            process.start()
        except (OSError, ValueError):  # no room for the buffer, no fork: read it later
            return None
        send.close()
        return cls(process, receive, buffer)

    def result(self) -> CsvRead | None:
        """What :func:`series.parse_csv` returned, or None if the child could not say."""
        try:
            message = self._pipe.recv()
        except (EOFError, OSError):
            message = None
        self._process.join()
        self._pipe.close()
        if message is None:
            return None
        table, problems = message
        if table is None:
            return None, problems
        names, stamps, shape = table
        values = np.ndarray(shape, dtype=np.float64, buffer=self._buffer)
        return series.CsvSeries(names, values, stamps), problems

    def cancel(self) -> None:
        """The YAML named another file after all: stop the child."""
        self._process.terminate()
        self._process.join()
        self._pipe.close()


def _child(data: bytes, shown: str, buffer: mmap.mmap, pipe: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        table, problems = series.parse_csv(data, shown)
        if table is None:
            pipe.send((None, problems))
        elif table.values.nbytes > len(buffer):  # cannot happen: rows and columns are counted
            pipe.send(None)
        else:
            shape = table.values.shape
            np.ndarray(shape, dtype=np.float64, buffer=buffer)[...] = table.values
            pipe.send(((table.columns, table.stamps, shape), problems))
    except BaseException:  # whatever it is, the parent reads the file itself and says it
        with contextlib.suppress(OSError):  # unless the parent has gone already
            pipe.send(None)
