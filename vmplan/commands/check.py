"""``vmplan check``: validate inventories and check policy on the current placement (the CI gate)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from vmplan import timefmt
from vmplan.commands import clusters, inputs, options, output
from vmplan.commands.outcome import Outcome
from vmplan.problems import Level, Problem
from vmplan.render import problems as render
from vmplan.render.formats import CheckFormat, PlanFormat

FormatOpt = Annotated[
    CheckFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format (default: github under GitHub Actions, else text).",
        show_default=False,
    ),
]
StrictOpt = Annotated[bool, typer.Option("--strict", metavar="", help="Treat warnings as errors.")]
EvacuableOpt = Annotated[
    bool,
    typer.Option(
        "--evacuable",
        metavar="",
        help="Also check that every host could be evacuated now (N+1 maintenance).",
    ),
]


EPILOG = """Examples:

  vmplan check samples/inventory.yaml

  vmplan check --evacuable --strict inventory.yaml

  vmplan check -f github inventory.yaml    (the default under GitHub Actions)
"""


def check(
    inventory: options.InventoryArgs,
    format: FormatOpt = None,
    strict: StrictOpt = False,
    cpu_limit: options.CpuLimitOpt = None,
    memory_limit: options.MemoryLimitOpt = None,
    evacuable: EvacuableOpt = False,
    tz: options.TzOpt = None,
    cluster: options.ClusterOpt = None,
) -> Outcome:
    """Validate inventories and check the current placement against limits and rules.

    Exit 0 when there is no error finding, 1 when there is, 2 when the input is invalid.
    """
    from vmplan import checks  # loads only for this command

    fmt = format or (CheckFormat.GITHUB if output.on_github() else CheckFormat.TEXT)
    cpu = options.percent(cpu_limit, "--cpu-limit")
    memory = options.percent(memory_limit, "--memory-limit")
    zone = options.zone(tz)
    console = output.capture_console(PlanFormat.TABLE)  # colour on a terminal only
    loaded = inputs.load_inventory(inventory, fmt.value, "check", text_to_stdout=True).loaded
    inv = timefmt.in_zone(clusters.select(loaded.inventory, cluster).with_limits(cpu, memory), zone)
    optional = [checks.evacuable.ID] if evacuable else []
    findings = sorted([*loaded.warnings, *checks.run(inv, optional=optional)], key=Problem.sort_key)
    if strict:
        findings = [replace(p, level=Level.ERROR) for p in findings]
    failed = any(p.level is Level.ERROR for p in findings)
    status = render.Status.FAILED if failed else render.Status.OK
    scope = f"{len(inv.hosts)} hosts, {len(inv.vms)} VMs, {inv.n_samples} samples"
    summary = render.summary_line(findings, status, scope)
    if fmt is CheckFormat.JSON:
        extra = {"hosts": len(inv.hosts), "vms": len(inv.vms), "samples": inv.n_samples}
        output.write_output(render.json_doc("check", findings, status, extra), None)
    elif fmt is CheckFormat.GITHUB:
        output.write_output(render.github(findings, summary), None)
    else:
        render.text(console, findings, summary)
        output.write_output(output.rendered(console), None)
    return Outcome.FINDINGS if failed else Outcome.OK
