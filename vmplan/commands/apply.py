"""``vmplan apply``: the inventory as it will be after a plan, every other byte unchanged."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from vmplan.commands import inputs, options, output
from vmplan.commands.outcome import Outcome
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


EPILOG = """Examples:

  vmplan apply plan.json inventory.yaml -o inventory.after.yaml

  vmplan apply plan.json inventory.yaml --in-place --mark-freed maintenance
"""


def apply(
    plan: PlanArg,
    inventory: options.InventoryArgs,
    out: options.OutputOpt = None,
    in_place: InPlaceOpt = False,
    mark_freed: MarkOpt = None,
) -> Outcome:
    """Write INVENTORY... as it will be after PLAN.json, every other byte unchanged.

    Each moved VM's host: is changed where it is written; comments, order and formatting stay.
    Exit 0, or 2 for invalid input or a plan made from another inventory.
    """
    from vmplan.apply import apply_plan
    from vmplan.planmatch import read_matching_plan

    if in_place and out is not None:
        output.fail("choose -o FILE or --in-place, not both")
    read = inputs.load_inventory(inventory, "text", "apply")
    output.show_warnings(read.loaded.warnings)
    inv = read.inventory
    parsed = inputs.read_file(plan, lambda text: read_matching_plan(text, str(plan), inv), "plan")
    texts = [(str(path), _read_text(path)) for path in inventory]
    try:
        changes = apply_plan(texts, parsed, inv, mark_freed is Mark.MAINTENANCE)
    except InputError as exc:
        inputs.fail_problems(exc.problems)
    errors = output.stderr_console()
    changed = [c for c in changes if c.changed]
    for c in changed:
        marked = f", {len(c.marked)} host(s) marked maintenance" if c.marked else ""
        errors.print(f"{c.file}: {len(c.moved)} VM(s) moved{marked}", markup=False, highlight=False)
    if in_place:
        for path, c in zip(inventory, changes, strict=True):
            if c.changed:
                output.replace_in_place(path, c.after)
        return Outcome.OK
    if len(changed) > 1:
        output.fail(
            f"the plan changes {len(changed)} files ({', '.join(c.file for c in changed)}): "
            "use --in-place, or apply to one file at a time"
        )
    if len(changes) > 1 and not changed:
        output.fail("nothing changes; with several files, say which one with --in-place")
    output.write_output((changed or changes)[0].after, out, (*read.files, plan))
    output.confirm(out)
    return Outcome.OK


def _read_text(path: Path) -> str:
    """The file's exact text: bytes decoded as UTF-8, line ends untouched (it loaded already)."""
    return path.read_bytes().decode("utf-8")
