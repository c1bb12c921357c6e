"""``vmplan apply``: the inventory as it will be after a plan, every other byte unchanged."""

from __future__ import annotations

import enum
import os
import stat
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from vmplan.commands import common
from vmplan.commands.script import fail_problems, read_or_exit, refuse_input_as_output
from vmplan.problems import InputError

PlanArg = Annotated[
    Path,
    typer.Argument(
        metavar="PLAN.json",
        help="A plan of vmplan pack or evacuate (--format json) made from these files.",
        show_default=False,
    ),
]
InPlaceOpt = Annotated[
    bool,
    typer.Option(
        "--in-place", help="Rewrite the inventory files themselves (atomically; never a symlink)."
    ),
]


class Mark(enum.StrEnum):
    MAINTENANCE = "maintenance"


MarkOpt = Annotated[
    Mark | None,
    typer.Option(
        "--mark-freed",
        help="maintenance: set 'maintenance: true' on every host the plan frees or evacuates.",
        show_default=False,
    ),
]


def apply(
    plan: PlanArg,
    inventory: common.InventoryArgs,
    output: common.OutputOpt = None,
    in_place: InPlaceOpt = False,
    mark_freed: MarkOpt = None,
) -> None:
    """Write INVENTORY... as it will be after PLAN.json: each moved VM's host: changed where it is
    written, comments, order and formatting untouched. Exit 0, or 2 for invalid input or a plan
    made from another inventory.
    """
    from vmplan.apply import apply_plan
    from vmplan.planmatch import read_matching_plan

    if in_place and output is not None:
        common.fail_usage("choose -o FILE or --in-place, not both")
    refuse_input_as_output(output, [plan, *inventory])
    loaded = common.load_or_exit(inventory, "text", "apply", common.stderr_console())
    common.show_warnings(loaded.warnings)
    inv = loaded.inventory
    parsed = read_or_exit(plan, lambda text: read_matching_plan(text, str(plan), inv))
    texts = [(str(path), _read_text(path)) for path in inventory]
    try:
        changes = apply_plan(texts, parsed, inv, mark_freed is Mark.MAINTENANCE)
    except InputError as exc:
        fail_problems(exc.problems)
    errors = common.stderr_console()
    changed = [c for c in changes if c.changed]
    for c in changed:
        marked = f", {len(c.marked)} host(s) marked maintenance" if c.marked else ""
        errors.print(f"{c.file}: {len(c.moved)} VM(s) moved{marked}", markup=False, highlight=False)
    if in_place:
        for path, c in zip(inventory, changes, strict=True):
            if c.changed:
                write_in_place(path, c.after)
        return
    if len(changed) > 1:
        common.fail_usage(
            f"the plan changes {len(changed)} files ({', '.join(c.file for c in changed)}): "
            "use --in-place, or apply to one file at a time"
        )
    if len(changes) > 1 and not changed:
        common.fail_usage("nothing changes; with several files, say which one with --in-place")
    common.write_output((changed or changes)[0].after, output)


def _read_text(path: Path) -> str:
    """The file's exact text: bytes decoded as UTF-8, line ends untouched (it loaded already)."""
    return path.read_bytes().decode("utf-8")


def write_in_place(path: Path, text: str) -> None:
    """Replace ``path`` atomically (a temporary file beside it, then a rename), keeping its mode.

    A symlink is refused rather than followed or replaced: writing through it would change
    another file, replacing it would cut the link.
    """
    try:
        info = os.lstat(path)
    except OSError as exc:
        common.fail_usage(f"cannot write {path}: {exc.strerror}")
    if stat.S_ISLNK(info.st_mode):
        common.fail_usage(
            f"{path} is a symlink to {os.readlink(path)}: --in-place never writes through one; "
            "use -o, or name the file it points to"
        )
    if not stat.S_ISREG(info.st_mode):
        common.fail_usage(f"{path} is not a regular file: --in-place can only replace one")
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, stat.S_IMODE(info.st_mode))
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        common.fail_usage(f"cannot write {path}: {exc.strerror}")
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise
