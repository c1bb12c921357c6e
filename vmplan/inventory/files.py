"""Reading an input file without trusting it: never more than a limit, binary data seen early.

A regular file's size is known before reading, but a device or a pipe (``/dev/zero``, a process
substitution) reports 0 and may never end; so reading stops one byte past the limit, and after
the first block when that block already shows binary data. Memory grows with what is read, never
with the limit: a 29-byte file costs a few kilobytes however high the limit is.

A file too large to hold twice (a CSV of series beside the matrix read from it) is read in
pieces of whole lines by :func:`line_pieces` instead.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

SNIFF_BYTES = 65536
#: Read at least this much at a time from a stream of unknown size.
CHUNK_BYTES = 1 << 20
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_limited(path: Path, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of ``path`` (more than ``max_bytes`` means: too large);
    only the first block when it holds a NUL byte. Raises :class:`OSError` like ``open``."""
    with path.open("rb") as f:
        head = f.read(min(SNIFF_BYTES, max_bytes + 1))
        if b"\0" in head:
            return head
        size = os.fstat(f.fileno()).st_size  # 0 for a pipe or a device: read it in chunks
        parts = [head]
        got = len(head)
        while got <= max_bytes:
            block = f.read(min(max_bytes + 1 - got, max(CHUNK_BYTES, size + 1 - got)))
            if not block:
                break
            parts.append(block)
            got += len(block)
        return b"".join(parts)


class TooLarge(Exception):
    """More than the limit was read (a file that grew after its size was checked)."""


def line_pieces(f: BinaryIO, max_bytes: int, size: int) -> Iterator[bytes]:
    """``f`` in pieces of whole lines, each about ``size`` bytes or one line if that is longer;
    every piece ends with a line break but perhaps the last. Raises :class:`TooLarge` once more than
    ``max_bytes`` were read, and :class:`OSError` like ``read``."""
    parts: list[bytes] = []  # the start of a line that the last read cut off
    got = 0
    while block := f.read(size):
        got += len(block)
        if got > max_bytes:
            raise TooLarge
        cut = block.rfind(b"\n") + 1
        if cut == len(block) and not parts:
            yield block
            continue
        if not cut:
            parts.append(block)
            continue
        piece = b"".join([*parts, memoryview(block)[:cut]])
        parts = [block[cut:]]
        del block  # not held beside the piece while it is read
        yield piece
    tail = b"".join(parts)
    if tail:
        yield tail


def text_problem(data: bytes, kind: str) -> str | None:
    """Why ``data`` is not a text file (``kind`` is 'YAML' or 'CSV'), or None."""
    if data.startswith(UTF16_BOMS):
        return "expected UTF-8 text, found UTF-16; save the file as UTF-8"
    if b"\0" in data[:SNIFF_BYTES]:
        return f"expected a {kind} text file, found binary data"
    return None
