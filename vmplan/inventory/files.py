"""Reading an input file without trusting it: never more than a limit, binary data seen early.

A regular file's size is known before reading, but a device or a pipe (``/dev/zero``, a process
substitution) reports 0 and may never end; so reading stops one byte past the limit, and after
the first block when that block already shows binary data.
"""

from __future__ import annotations

import codecs
from pathlib import Path

SNIFF_BYTES = 65536
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_limited(path: Path, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of ``path`` (more than ``max_bytes`` means: too large);
    only the first block when it holds a NUL byte. Raises :class:`OSError` like ``open``."""
    with path.open("rb") as f:
        head = f.read(min(SNIFF_BYTES, max_bytes + 1))
        if b"\0" in head:
            return head
        return head + f.read(max_bytes + 1 - len(head))


def text_problem(data: bytes, kind: str) -> str | None:
    """Why ``data`` is not a text file (``kind`` is 'YAML' or 'CSV'), or None."""
    if data.startswith(UTF16_BOMS):
        return "expected UTF-8 text, found UTF-16; save the file as UTF-8"
    if b"\0" in data[:SNIFF_BYTES]:
        return f"expected a {kind} text file, found binary data"
    return None
