"""``vmplan script``: a plan of pack or evacuate as a script for govc, PowerCLI, virsh, qm or
openstack, for the operator to read, dry-run and run."""

from __future__ import annotations

import enum
import json
import os
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vmplan import __version__
from vmplan.commands import clusters, inputs, options, output
from vmplan.commands.outcome import Outcome
from vmplan.problems import InputError
from vmplan.scripts import URI_TOOLS, ScriptOptions, Tool, file_digests, render_script

if TYPE_CHECKING:
    from vmplan.model import Inventory, Plan

ScriptShortcutOpt = Annotated[
    Tool | None,
    typer.Option(
        "--script",
        help="Write the plan as a script for this tool (as vmplan script --for TOOL would from "
        "the JSON plan) instead of the plan.",
        show_default=False,
    ),
]

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


EPILOG = """Examples:

  vmplan script plan.json --for govc -i inventory.yaml -o migrate.sh

  DRY_RUN=1 ./migrate.sh

  vmplan script plan.json --for virsh --uri 'qemu+ssh://root@{host}/system'

  vmplan script plan.json --for govc -i fleet.yaml --cluster west -o west.sh
"""


def script(
    plan: PlanArg,
    tool: ToolOpt,
    inventory: options.InventoryOpt = None,
    uri: UriOpt = None,
    extra: ExtraOpt = None,
    ids: IdsOpt = None,
    out: options.OutputOpt = None,
    cluster: options.ClusterOpt = None,
) -> Outcome:
    """Write PLAN.json as a script for govc, PowerCLI, virsh, qm or openstack.

    Waves in order, the moves of a wave in parallel, a check before each move, DRY_RUN=1
    (PowerCLI: -WhatIf) to print the commands. With --cluster, only those clusters' moves, their
    waves numbered 1, 2, ... without a gap; the plan's other VMs are not read.

    Exit 0 with a script, 2 for invalid input.
    """
    from vmplan.fleet.selection import narrow
    from vmplan.planmatch import read_matching_plan
    from vmplan.scripts.ids import read_ids

    words = _checked_options(tool, uri, ids, extra)
    paths = inputs.inventory_paths(inventory, os.environ.get(options.ENV), Path.cwd())
    read = inputs.load_inventory(paths, "text", "script")
    output.show_warnings(read.loaded.warnings)
    chosen = clusters.selection(read.inventory, cluster)
    only = None if chosen.everything else chosen.vms
    parsed = inputs.read_file(
        plan, lambda text: read_matching_plan(text, str(plan), chosen.whole, only), "plan"
    )
    id_map = inputs.read_file(ids, lambda text: read_ids(text, str(ids))) if ids else {}
    named = chosen.names if clusters.named(chosen.whole) else ()

    def settings() -> ScriptOptions:
        return ScriptOptions(
            inputs=file_digests(paths),
            command_line=_command_line(plan, tool, paths, uri, words, ids, out, cluster or []),
            version=__version__,
            uri=uri,
            extra=words,
            ids=id_map,
            clusters=named,
        )

    inputs_read = (*read.files, plan, *([ids] if ids else []))
    write_script(narrow(chosen, parsed), chosen.inventory, tool, settings, out, inputs_read)
    return Outcome.OK


def write_script(
    plan: Plan,
    inv: Inventory,
    tool: Tool,
    settings: Callable[[], ScriptOptions],
    out: Path | None,
    inputs_read: Sequence[Path],
) -> None:
    """Render and write the script (executable with ``-o``); exit 2 for what cannot be run."""
    try:
        text = render_script(plan, inv, tool, settings())
    except InputError as exc:
        inputs.fail_problems(exc.problems)
    except OSError as exc:  # an inventory file vanished between loading and hashing
        output.fail(f"cannot read {exc.filename}: {exc.strerror}")
    except ValueError as exc:  # a name no program argument can carry
        output.fail(str(exc))
    output.write_output(text, out, inputs_read)
    if not output.to_stdout(out) and out is not None and out.resolve().is_file():
        mask = os.umask(0)
        os.umask(mask)
        out.resolve().chmod(0o777 & ~mask)  # a script: executable by whoever may read it
    output.confirm(out)


def shortcut(
    plan_json: str,
    inv: Inventory,
    tool: Tool,
    paths: Sequence[Path],
    command_line: str,
    out: Path | None,
    inputs_read: Sequence[Path],
) -> Outcome:
    """``pack|evacuate ... --script TOOL``: the plan those commands would write with ``-f json``,
    read back as ``vmplan script`` reads a plan file, then written as ``vmplan script`` writes it
    (so the two give the same bytes but for the command line in the header). An infeasible plan
    writes no script (exit 1)."""
    from vmplan.fleet.split import cluster_names
    from vmplan.planmatch import read_matching_plan

    if json.loads(plan_json).get("feasible") is not True:
        output.stderr_console().print(
            "No feasible plan: no script written (run without --script to see why).",
            soft_wrap=True,
            markup=False,
        )
        return Outcome.FINDINGS
    try:
        parsed = read_matching_plan(plan_json, "the plan", inv)
    except InputError as exc:
        inputs.fail_problems(exc.problems)

    def settings() -> ScriptOptions:
        return ScriptOptions(
            inputs=file_digests(paths),
            command_line=command_line,
            version=__version__,
            clusters=cluster_names(inv) if clusters.named(inv) else (),
        )

    write_script(parsed, inv, tool, settings, out, inputs_read)
    return Outcome.OK


def command_line(ctx: typer.Context) -> str:
    """The command as given, rebuilt from its parameters that are not at their defaults (for
    the header of a script written by the ``--script`` shortcut)."""
    words: list[str] = []
    positional: list[str] = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if value is None or value == param.default or value is False or value == []:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        texts = [str(v.value if isinstance(v, enum.Enum) else v) for v in values]
        if param.param_type_name == "argument":
            positional += texts
            continue
        flag = min(param.opts, key=len)
        for text in texts:
            words += [flag] if value is True else [flag, text]
    return shlex.join(["vmplan", ctx.info_name or "", *positional, *words])


def _checked_options(
    tool: Tool, uri: str | None, ids: Path | None, extra: str | None
) -> tuple[str, ...]:
    """Exit 2 for an option the tool does not take; the --extra words."""
    if uri is not None and (tool not in URI_TOOLS or "{host}" not in uri):
        output.fail("--uri is a template with {host}, for --for virsh or qm only")
    if ids is not None and tool is not Tool.QM:
        output.fail("--ids is for --for qm only")
    try:
        return tuple(shlex.split(extra)) if extra else ()
    except ValueError as exc:
        output.fail(f"--extra: {exc}")


def _command_line(
    plan: Path,
    tool: Tool,
    paths: list[Path],
    uri: str | None,
    extra: tuple[str, ...],
    ids: Path | None,
    output: Path | None,
    cluster: list[str],
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
    for name in cluster:
        words += ["--cluster", name]
    return shlex.join(words)
