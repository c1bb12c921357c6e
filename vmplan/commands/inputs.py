"""What the commands read: inventories (found and loaded) and plan files, each problem said once.

On invalid input every problem is rendered in the command's format (json and github on stdout,
where tools read them; text on the given console) and the command stops with exit 2.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import NoReturn, TypeVar

from vmplan.commands import options, output
from vmplan.commands.outcome import Outcome, Stop
from vmplan.fleet import run as fleet_run
from vmplan.fleet.run import Where
from vmplan.inventory import Loaded, load
from vmplan.model import Inventory, Plan
from vmplan.problems import InputError, Problem
from vmplan.render import problems as render_problems
from vmplan.render.formats import PlanFormat

T = TypeVar("T")

#: Folders besides each inventory's own that a cpu_series CSV may be read from.
SERIES_ROOTS = "VMPLAN_SERIES_ROOTS"


@dataclass(frozen=True, slots=True)
class Read:
    """A loaded inventory and every file that was read for it (never to be written over)."""

    loaded: Loaded
    files: tuple[Path, ...]

    @property
    def inventory(self) -> Inventory:
        return self.loaded.inventory


def load_inventory(
    paths: list[Path],
    fmt: str,
    command: str,
    text_to_stdout: bool = False,
    where: Where | None = None,
) -> Read:
    """Load and merge ``paths``; on invalid input render every problem in ``fmt`` and stop.

    json and github go to stdout, where tools read them; text goes to stderr, or to stdout when
    the problems are the command's product (check). ``where``: the local processes that read
    the files side by side (``--jobs``; in turn without it).
    """
    roots = [Path(p) for p in os.environ.get(SERIES_ROOTS, "").split(os.pathsep) if p.strip()]
    each = partial(fleet_run.each, where=where) if where is not None else None
    try:
        loaded = load(paths, series_roots=roots, each=each)
    except fleet_run.SchedulerError as exc:  # a worker that read files was lost
        output.fail(str(exc))
    except InputError as exc:
        status = render_problems.Status.INVALID
        summary = render_problems.summary_line(exc.problems, status, "")
        if fmt == "json":
            output.write_output(render_problems.json_doc(command, exc.problems, status), None)
        elif fmt == "github":
            output.write_output(render_problems.github(exc.problems, summary), None)
        elif text_to_stdout:
            console = output.capture_console(PlanFormat.TABLE)
            render_problems.text(console, exc.problems, summary)
            output.write_output(output.rendered(console), None)
        else:
            output.show_problems(exc.problems, summary)
        raise Stop(Outcome.INVALID) from None
    return Read(loaded, loaded.sources)


def discover(given: list[Path] | None, env: str | None, cwd: Path) -> list[Path]:
    """-i/--inventory, else $VMPLAN_INVENTORY, else inventory.yaml or vmplan.yaml in ``cwd``;
    empty when there is none."""
    if given:
        return given
    if env and env.strip():
        return [Path(p) for p in env.split(os.pathsep) if p.strip()]
    for name in options.DEFAULT_FILES:
        if (cwd / name).is_file():
            return [Path(name)]
    return []


def inventory_paths(given: list[Path] | None, env: str | None, cwd: Path) -> list[Path]:
    """:func:`discover`, or exit 2 saying where an inventory was looked for."""
    found = discover(given, env, cwd)
    if found:
        return found
    output.fail(
        f"no inventory: pass -i FILE, set {options.ENV}, or create "
        f"{' or '.join(options.DEFAULT_FILES)} "
        f"(looked in {cwd})"
    )


def read_plan(path: Path, inv: Inventory, only: Collection[int] | None = None) -> Plan:
    """A plan file checked against ``inv`` (with ``only``, what it says of those VMs alone); on
    any problem say every one and stop (exit 2)."""
    from vmplan.planfile import read_plan as parse

    return read_file(path, lambda text: parse(text, str(path), inv, only=only), "plan")


def read_file(
    path: Path, parse: Callable[[str], T], what: str = "file", json_for: str | None = None
) -> T:
    """``parse`` the UTF-8 text of ``path``; an unreadable file or any problem ends in exit 2.

    With ``json_for`` (a command name) the problems are a JSON document on stdout."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        problem = Problem(str(path), 0, 0, "", f"cannot read the {what}: {reason}", what)
        fail_problems([problem], json_for)
    try:
        return parse(text)
    except InputError as exc:
        fail_problems(exc.problems, json_for)


def fail_problems(problems: Sequence[Problem], json_for: str | None = None) -> NoReturn:
    """Say every problem (on stderr, or as JSON on stdout) and stop with exit 2."""
    status = render_problems.Status.INVALID
    if json_for is not None:
        output.write_output(render_problems.json_doc(json_for, problems, status), None)
    else:
        output.show_problems(problems, render_problems.summary_line(problems, status, ""))
    raise Stop(Outcome.INVALID)
