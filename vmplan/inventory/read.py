"""Reading tier: one inventory file's bytes -> its text, or why it cannot be read.

Checks before parsing: a directory, the size limit (of the file, and of what a pipe or device
delivers), binary data, UTF-16, invalid UTF-8 (at its line and column), and a lack of memory.
"""

from __future__ import annotations

from pathlib import Path

from vmplan.inventory import files
from vmplan.problems import Position, Problem

RULE = "input"


def read_text(path: Path, shown: str, max_bytes: int) -> tuple[str | None, list[Problem]]:
    """The file's text (a UTF-8 BOM dropped), or None and the problem that stopped it."""
    top = Position(shown, 0, 0)
    try:
        data = _read_bytes(path, top, max_bytes)
    except FileNotFoundError:
        return None, [Problem.at(top, "", "no such file", RULE)]
    except OSError as exc:
        return None, [Problem.at(top, "", f"cannot read the file: {exc.strerror}", RULE)]
    if isinstance(data, Problem):
        return None, [data]
    not_text = files.text_problem(data, "YAML")
    if not_text:
        return None, [Problem.at(Position(shown, 1, 1), "", not_text, RULE)]
    if len(data) > max_bytes:
        return None, [_too_large(top, max_bytes)]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        message = f"expected UTF-8 text, found byte 0x{data[exc.start]:02x}"
        return None, [Problem.at(Position(shown, line, col), "", message, RULE)]


def _read_bytes(path: Path, top: Position, max_bytes: int) -> bytes | Problem:
    size = path.stat().st_size
    if path.is_dir():
        return Problem.at(top, "", "expected an inventory file, got a directory", RULE)
    if size > max_bytes:
        return Problem.at(
            top,
            "",
            f"file is {size / 2**20:,.0f} MiB, over the {max_bytes >> 20} MiB limit for an "
            "inventory; keep long series in a cpu_series CSV",
            RULE,
        )
    return files.read_limited(path, max_bytes)  # a pipe or device has no size to check


def _too_large(top: Position, max_bytes: int) -> Problem:
    return Problem.at(
        top,
        "",
        f"file is over the {max_bytes >> 20} MiB limit for an inventory; keep long series "
        "in a cpu_series CSV",
        RULE,
    )


def out_of_memory(shown: str) -> Problem:
    """A file too large for the memory this process may use (not a bug: an input problem)."""
    return Problem.at(Position(shown, 0, 0), "", f"not enough memory to read {shown}", RULE)
