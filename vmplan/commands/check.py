"""``vmplan check``: validate inventories and check policy on the current placement (the CI gate)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

import typer

from vmplan import sizing
from vmplan.commands import clusters, inputs, options, output, sizing_options
from vmplan.commands.outcome import Outcome
from vmplan.model import Inventory
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
    profile: sizing_options.ProfileOpt = None,
    envelope: sizing_options.EnvelopeOpt = None,
    size: sizing_options.SizeOpt = None,
    risk: sizing_options.RiskOpt = None,
    tz: options.TzOpt = None,
    cluster: options.ClusterOpt = None,
) -> Outcome:
    """Validate inventories and check the current placement against limits and rules.

    "Over the limit" is on the series as given, unless a sizing option (--profile, --envelope,
    --size, --risk) sizes them as pack and evacuate do.

    Exit 0 when there is no error finding, 1 when there is, 2 when the input is invalid.
    """
    from vmplan import checks  # loads only for this command

    fmt = format or (CheckFormat.GITHUB if output.on_github() else CheckFormat.TEXT)
    view = options.View.parse(cpu_limit, memory_limit, tz)
    console = output.capture_console(PlanFormat.TABLE)  # colour on a terminal only
    loaded = inputs.load_inventory(inventory, fmt.value, "check", text_to_stdout=True).loaded
    real = view.apply(clusters.select(loaded.inventory, cluster))
    inv, about = _sized(real, profile, envelope, size, risk)
    optional = [checks.evacuable.ID] if evacuable else []
    findings = sorted([*loaded.warnings, *checks.run(inv, optional=optional)], key=Problem.sort_key)
    if strict:
        findings = [replace(p, level=Level.ERROR) for p in findings]
    failed = any(p.level is Level.ERROR for p in findings)
    status = render.Status.FAILED if failed else render.Status.OK
    scope = f"{len(real.hosts)} hosts, {len(real.vms)} VMs, {real.n_samples} samples"
    if about:
        scope += f" ({about.pop('line')})"
    summary = render.summary_line(findings, status, scope)
    if fmt is CheckFormat.JSON:
        extra = {"hosts": len(real.hosts), "vms": len(real.vms), "samples": real.n_samples, **about}
        output.write_output(render.json_doc("check", findings, status, extra), None)
    elif fmt is CheckFormat.GITHUB:
        output.write_output(render.github(findings, summary), None)
    else:
        render.text(console, findings, summary)
        output.write_output(output.rendered(console), None)
    return Outcome.FINDINGS if failed else Outcome.OK


def _sized(
    inv: Inventory,
    profile: sizing.Period | None,
    envelope: str | None,
    size: str | None,
    risk: str | None,
) -> tuple[Inventory, dict[str, Any]]:
    """The inventory whose series decide "over the limit", and the JSON's ``sizing`` (with the
    summary line under ``line``): as given without a sizing option (check is a CI gate on
    today's data), else sized as pack sizes, the held-out replay being today's placement's."""
    if profile is None and envelope is None and size is None and risk is None:
        return inv, {}
    chosen = sizing_options.spec(profile, envelope, size, risk)
    sized = sizing_options.apply(inv, chosen, lambda part, _share: part.current)
    about = sizing.as_json(sized, inv, inv.current)
    return sized.inventory, {"sizing": about["sizing"], "line": sizing.summary(sized)}
