"""``vmplan backtest``: replay a plan's placement on the series of an inventory (a later period)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.text import Text

from vmplan.commands import common
from vmplan.model import Inventory, Plan
from vmplan.problems import InputError, Problem

PlanArg = Annotated[
    Path,
    typer.Option(
        "--plan",
        help="A plan of vmplan pack/evacuate (--format json) whose placement is replayed.",
        show_default=False,
    ),
]


def backtest(
    inventory: common.InventoryArgs,
    plan: PlanArg,
    cpu_limit: common.CpuLimitOpt = None,
    memory_limit: common.MemoryLimitOpt = None,
    format: common.PlanFormatOpt = None,
    output: common.OutputOpt = None,
) -> None:
    """Replay a plan's placement on the series of an inventory, typically a later period.

    VMs the plan does not name stay on their current host; VMs of the plan missing from the
    inventory are warnings. Per host and overall: samples over the CPU limit and over 100% of the
    cores, the worst combined CPU, and the share of host-time over the limit; memory likewise.

    Exit 0 when no sample exceeds a limit, 1 when one does, 2 for invalid input.
    """
    from vmplan.render import sizing as render_sizing  # loaded only for this command
    from vmplan.sizing import replay

    fmt = common.plan_format(format, output)
    output = _output_or_exit(output, [*inventory, plan])
    cpu = common.parse_percent_option(cpu_limit, "--cpu-limit")
    memory = common.parse_percent_option(memory_limit, "--memory-limit")
    loaded = common.load_or_exit(inventory, fmt.value, "backtest", common.stderr_console())
    inv = loaded.inventory.with_limits(cpu, memory)
    warnings: list[Problem] = []
    target = _read_plan_or_exit(plan, inv, fmt, warnings)
    common.show_warnings([*loaded.warnings, *warnings])
    result = replay(inv, target.target)
    doc = {"command": "backtest", "plan": str(plan), **render_sizing.replay_dict(inv, result)}
    doc["warnings"] = [str(w) for w in warnings]
    if fmt is common.PlanFormat.JSON:
        text = json.dumps(doc, indent=2) + "\n"
    elif fmt is common.PlanFormat.YAML:
        text = yaml.safe_dump(doc, sort_keys=False)
    else:
        console = common.capture_console(fmt)
        console.print(render_sizing.replay_table(inv, result))
        style = "bold" if result.clean else "bold red"
        console.print(Text(render_sizing.replay_summary(result), style=style))
        text = common.rendered(console)
    common.write_output(text, output)
    raise typer.Exit(common.EXIT_OK if result.clean else common.EXIT_FINDINGS)


def _read_plan_or_exit(
    path: Path, inv: Inventory, fmt: common.PlanFormat, warnings: list[Problem]
) -> Plan:
    from vmplan.planfile import read_plan
    from vmplan.render import problems as render_problems

    try:
        text = path.read_text(encoding="utf-8")
        return read_plan(text, str(path), inv, warnings=warnings)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        problems = [Problem(str(path), 0, 0, "", f"cannot read the plan: {reason}", "plan")]
    except InputError as exc:
        problems = list(exc.problems)
    status = render_problems.Status.INVALID
    summary = render_problems.summary_line(problems, status, "")
    if fmt is common.PlanFormat.JSON:
        common.write_output(render_problems.json_doc("backtest", problems, status), None)
    else:
        render_problems.text(common.stderr_console(), problems, summary)
    raise typer.Exit(common.EXIT_INVALID)


def _output_or_exit(output: Path | None, inputs: list[Path]) -> Path | None:
    """``-o`` must never replace an input: an inventory file, the ``cpu_series`` CSV it names, or
    the plan. (``Inventory.files`` lists only the YAML files, so the CSVs are found here.)"""
    if output is None or str(output) == "-":
        return output
    from vmplan.inventory.loader import _csv_path, _named_csv  # the loader's one reading of it

    csvs = []
    for p in inputs:
        try:
            named = _named_csv(p.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        if named is not None:
            csvs.append(_csv_path(str(p), named))
    target = output.resolve()
    for p in [*inputs, *csvs]:
        if p.resolve() == target:
            common.fail_usage(f"-o {output} would replace the input {p}")
    return output
