"""``vmplan check``: validate inventories and check policy on the current placement (the CI gate)."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Annotated

import typer

from vmplan.commands import common
from vmplan.problems import Level, Problem
from vmplan.render import problems as render

FormatOpt = Annotated[
    common.CheckFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format (default: github under GitHub Actions, else text).",
        show_default=False,
    ),
]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")]
EvacuableOpt = Annotated[
    bool,
    typer.Option(
        "--evacuable", help="Also check that every host could be evacuated now (N+1 maintenance)."
    ),
]


def check(
    inventory: common.InventoryArgs,
    format: FormatOpt = None,
    strict: StrictOpt = False,
    cpu_limit: common.CpuLimitOpt = None,
    memory_limit: common.MemoryLimitOpt = None,
    evacuable: EvacuableOpt = False,
) -> None:
    """Validate inventories and check the current placement against limits and rules.

    Exit 0 when there is no error finding, 1 when there is, 2 when the input is invalid.
    """
    from vmplan import checks  # loads only for this command

    fmt = format or (common.CheckFormat.GITHUB if common.on_github() else common.CheckFormat.TEXT)
    cpu = common.parse_percent_option(cpu_limit, "--cpu-limit")
    memory = common.parse_percent_option(memory_limit, "--memory-limit")
    console = common.stdout_console()
    loaded = common.load_or_exit(inventory, fmt.value, "check", console)
    inv = loaded.inventory.with_limits(cpu, memory)
    optional = [checks.evacuable.ID] if evacuable else []
    findings = sorted([*loaded.warnings, *checks.run(inv, optional=optional)], key=Problem.sort_key)
    if strict:
        findings = [replace(p, level=Level.ERROR) for p in findings]
    failed = any(p.level is Level.ERROR for p in findings)
    status = render.Status.FAILED if failed else render.Status.OK
    scope = f"{len(inv.hosts)} hosts, {len(inv.vms)} VMs, {inv.n_samples} samples"
    summary = render.summary_line(findings, status, scope)
    if fmt is common.CheckFormat.JSON:
        extra = {"hosts": len(inv.hosts), "vms": len(inv.vms), "samples": inv.n_samples}
        sys.stdout.write(render.json_doc("check", findings, status, extra))
    elif fmt is common.CheckFormat.GITHUB:
        sys.stdout.write(render.github(findings, summary))
    else:
        render.text(console, findings, summary)
    raise typer.Exit(common.EXIT_FINDINGS if failed else common.EXIT_OK)
