"""``vmplan script``: a plan of pack or evacuate as a script for govc, PowerCLI, virsh, qm or
openstack, for the operator to read, dry-run and run."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from vmplan import __version__
from vmplan.commands import common
from vmplan.commands.evacuate import InventoryOpt, inventory_paths
from vmplan.problems import InputError, Problem
from vmplan.render import problems as render_problems
from vmplan.scripts import URI_TOOLS, ScriptOptions, Tool, file_digests, render_script

T = TypeVar("T")
ENV = "VMPLAN_INVENTORY"

PlanArg = Annotated[
    Path,
    typer.Argument(
        metavar="PLAN.json",
        help="A plan of vmplan pack or evacuate (--format json).",
        show_default=False,
    ),
]
ToolOpt = Annotated[
    Tool,
    typer.Option("--for", help="The tool the script drives.", show_default=False),
]
UriOpt = Annotated[
    str | None,
    typer.Option(
        "--uri",
        help="Template with {host}: virsh's connection URI (default qemu+ssh://{host}/system); "
        "for qm an ssh destination (root@{host}) to run each migration on its source node.",
        show_default=False,
    ),
]
ExtraOpt = Annotated[
    str | None,
    typer.Option(
        "--extra",
        help="Extra flags for every migration command, e.g. --extra '--compressed'.",
        show_default=False,
    ),
]
IdsOpt = Annotated[
    Path | None,
    typer.Option(
        "--ids",
        help="qm: a YAML mapping of VM name to numeric id (default: ids from names like vm-123).",
        show_default=False,
    ),
]


def script(
    plan: PlanArg,
    tool: ToolOpt,
    inventory: InventoryOpt = None,
    uri: UriOpt = None,
    extra: ExtraOpt = None,
    ids: IdsOpt = None,
    output: common.OutputOpt = None,
) -> None:
    """Write PLAN.json as a script in the tool's own syntax: waves in order, the moves of a wave
    in parallel, a check before each move, DRY_RUN=1 (PowerCLI: -WhatIf) to print the commands.

    Exit 0 with a script, 2 for invalid input.
    """
    from vmplan.planmatch import read_matching_plan
    from vmplan.scripts.ids import read_ids

    words = _checked_options(tool, uri, ids, extra)
    paths = inventory_paths(inventory, os.environ.get(ENV), Path.cwd())
    refuse_input_as_output(output, [plan, *paths, *([ids] if ids else [])])
    loaded = common.load_or_exit(paths, "text", "script", common.stderr_console())
    common.show_warnings(loaded.warnings)
    inv = loaded.inventory
    parsed = read_or_exit(plan, lambda text: read_matching_plan(text, str(plan), inv))
    id_map = read_or_exit(ids, lambda text: read_ids(text, str(ids))) if ids else {}
    try:
        options = ScriptOptions(
            inputs=file_digests(paths),
            command_line=_command_line(plan, tool, paths, uri, words, ids, output),
            version=__version__,
            uri=uri,
            extra=words,
            ids=id_map,
        )
        text = render_script(parsed, inv, tool, options)
    except InputError as exc:
        fail_problems(exc.problems)
    except OSError as exc:  # an inventory file vanished between loading and hashing
        common.fail_usage(f"cannot read {exc.filename}: {exc.strerror}")
    except ValueError as exc:  # a name no program argument can carry
        common.fail_usage(str(exc))
    common.write_output(text, output)
    if output is not None and str(output) != "-":
        mask = os.umask(0)
        os.umask(mask)
        output.resolve().chmod(0o777 & ~mask)  # a script: executable by whoever may read it


def _checked_options(
    tool: Tool, uri: str | None, ids: Path | None, extra: str | None
) -> tuple[str, ...]:
    """Exit 2 for an option the tool does not take; the --extra words."""
    if uri is not None and (tool not in URI_TOOLS or "{host}" not in uri):
        common.fail_usage("--uri is a template with {host}, for --for virsh or qm only")
    if ids is not None and tool is not Tool.QM:
        common.fail_usage("--ids is for --for qm only")
    try:
        return tuple(shlex.split(extra)) if extra else ()
    except ValueError as exc:
        common.fail_usage(f"--extra: {exc}")


def _command_line(
    plan: Path,
    tool: Tool,
    paths: list[Path],
    uri: str | None,
    extra: tuple[str, ...],
    ids: Path | None,
    output: Path | None,
) -> str:
    """The command as given, rebuilt from the options (so it reads the same however it ran)."""
    words = ["vmplan", "script", str(plan), "--for", tool.value]
    for path in paths:
        words += ["-i", str(path)]
    if uri is not None:
        words += ["--uri", uri]
    if extra:
        words += ["--extra", shlex.join(extra)]
    if ids is not None:
        words += ["--ids", str(ids)]
    if output is not None:
        words += ["-o", str(output)]
    return shlex.join(words)


def refuse_input_as_output(output: Path | None, inputs: list[Path]) -> None:
    """Exit 2 when ``-o`` names one of the input files (the same file, under any name)."""
    if output is None or str(output) == "-" or not output.exists():
        return
    for given in inputs:
        try:
            same = given.exists() and os.path.samefile(given, output)
        except OSError:
            same = False
        if same:
            common.fail_usage(f"-o {output} is the input file {given}: choose another output")


def read_or_exit(path: Path, parse: Callable[[str], T]) -> T:
    """``parse`` the text of ``path``; every problem (or an unreadable file) ends in exit 2."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        fail_problems([Problem(str(path), 0, 0, "", f"cannot read the file: {reason}", "input")])
    try:
        return parse(text)
    except InputError as exc:
        fail_problems(exc.problems)


def fail_problems(problems: list[Problem]) -> NoReturn:
    status = render_problems.Status.INVALID
    summary = render_problems.summary_line(problems, status, "")
    render_problems.text(common.stderr_console(), problems, summary)
    raise typer.Exit(common.EXIT_INVALID)
