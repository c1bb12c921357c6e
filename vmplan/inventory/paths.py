"""Where a ``cpu_series`` CSV may be read from.

An inventory arrives in a pull request as often as from its owner, and a message quoting a file
ends up in a CI log: so a ``cpu_series`` path must lead, after every symbolic link is followed, to
a regular file inside the inventory's own folder (or below it), or inside one of the folders the
caller allows (``load(series_roots=...)``; the CLI takes them from ``VMPLAN_SERIES_ROOTS``).
An absolute path, a ``../`` that leaves the folder, or a link pointing out of it is refused, as
is a FIFO or a device (which could block the reader forever), checked before the file is opened.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

#: The environment variable the CLI reads the extra roots from (named here for the messages).
ROOTS_VARIABLE = "VMPLAN_SERIES_ROOTS"


def series_path(yaml_file: str, rel: str, roots: Sequence[Path]) -> Path | str:
    """The CSV that ``cpu_series: rel`` in ``yaml_file`` names, or why it may not be read."""
    folder = Path(yaml_file).parent
    path = folder / rel  # an absolute ``rel`` replaces the folder
    try:
        real = path.resolve()
        allowed = [folder.resolve(), *(Path(r).resolve() for r in roots)]
    except (OSError, RuntimeError):  # a loop of links
        return "cannot follow the path (a loop of symbolic links?)"
    if not any(real.is_relative_to(root) for root in allowed):
        where = "an absolute path" if Path(rel).is_absolute() else f"it leads to {real}"
        return (
            f"{where}, outside the inventory's folder; a cpu_series CSV must be in the "
            f"inventory's folder or below it (or in a folder listed in {ROOTS_VARIABLE})"
        )
    return path


def not_regular(path: Path) -> str | None:
    """Why ``path`` is not a regular file that can be read without blocking, or None (also when
    it does not exist: opening it says so)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    kind = next((name for test, name in kinds if test(mode)), "not a regular file")
    return f"expected a regular CSV file, found {kind}"
