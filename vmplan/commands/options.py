"""The options the commands share, declared once as ``Annotated`` aliases, and their parsing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Annotated

import typer

from vmplan import timefmt, units
from vmplan.engine.settings import DEFAULT_BANDWIDTH
from vmplan.model import Inventory
from vmplan.render.formats import PlanFormat

#: Where a command given no inventory looks (evacuate, script).
ENV = "VMPLAN_INVENTORY"
DEFAULT_FILES = ("inventory.yaml", "vmplan.yaml")

InventoryOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "-i",
        "--inventory",
        metavar="FILE",
        help=f"Inventory file (repeatable; several files merge). Default: ${ENV} (paths separated "
        f"by '{os.pathsep}'), else {' or '.join(DEFAULT_FILES)} in the current folder.",
        show_default=False,
    ),
]
InventoryArgs = Annotated[
    list[Path],
    typer.Argument(
        metavar="INVENTORY",
        help="Inventory files (YAML); several files merge.",
        show_default=False,
    ),
]
CpuLimitOpt = Annotated[
    str | None,
    typer.Option(
        "--cpu-limit",
        metavar="PCT",
        help="Override every host's CPU limit, e.g. 80%.",
        show_default=False,
    ),
]
MemoryLimitOpt = Annotated[
    str | None,
    typer.Option(
        "--memory-limit",
        metavar="PCT",
        help="Override every host's memory limit, e.g. 95%.",
        show_default=False,
    ),
]
ParallelOpt = Annotated[
    int,
    typer.Option("--parallel", min=1, help="Concurrent migrations per host and wave (in + out)."),
]
BandwidthOpt = Annotated[
    str,
    typer.Option(
        "--bandwidth", metavar="RATE", help="Migration network bandwidth, for duration estimates."
    ),
]
TimeLimitOpt = Annotated[
    float,
    typer.Option(
        "--time-limit",
        min=0.0,
        metavar="SECONDS",
        help="Solver time budget; a plan no worse than one first-fit pass is always returned.",
    ),
]
PlanFormatOpt = Annotated[
    PlanFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format (default: from the -o extension .json/.yaml/.yml/.txt; else table on "
        "a terminal, text when piped).",
        show_default=False,
    ),
]
TzOpt = Annotated[
    str | None,
    typer.Option(
        "--tz",
        metavar="ZONE",
        help="Time zone of displayed times, e.g. Europe/Paris, UTC or +01:00 (default: the zone "
        "of the inventory's start; json and yaml keep UTC).",
        show_default=False,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "-o",
        "--output",
        metavar="FILE",
        help="Write the result to FILE (atomically; never over an input) instead of stdout.",
        show_default=False,
    ),
]

JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        metavar="N",
        help="Read the inventory files and solve the clusters on N processes, this one included "
        "(default: the number of cores; 1 does everything in this process, one after the "
        "other).",
        show_default=False,
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Solve the clusters on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786 "
        "(pip install 'vmplan[dask]'); --jobs then only reads the files.",
        show_default=False,
    ),
]
ClusterOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--cluster",
        metavar="NAME",
        help="Only this cluster (repeatable); hosts without a cluster form the cluster ''.",
        show_default=False,
    ),
]

__all__ = [
    "DEFAULT_BANDWIDTH",
    "DEFAULT_FILES",
    "ENV",
    "BandwidthOpt",
    "ClusterOpt",
    "CpuLimitOpt",
    "InventoryArgs",
    "InventoryOpt",
    "JobsOpt",
    "MemoryLimitOpt",
    "OutputOpt",
    "ParallelOpt",
    "PlanFormatOpt",
    "SchedulerOpt",
    "TimeLimitOpt",
    "TzOpt",
    "bandwidth",
    "percent",
    "zone",
]


def percent(value: str | None, name: str) -> float | None:
    """A ``--cpu-limit``-like option as a fraction; a bad value is a usage error naming it."""
    if value is None:
        return None
    try:
        return units.parse_percent(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from None


def bandwidth(value: str) -> float:
    try:
        return units.parse_bandwidth(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--bandwidth") from None


def zone(value: str | None) -> tzinfo | None:
    """``--tz`` as a zone; None keeps the zone of the inventory's start."""
    if value is None:
        return None
    try:
        return timefmt.zone(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tz") from None


@dataclass(frozen=True, slots=True)
class View:
    """``--cpu-limit``, ``--memory-limit`` and ``--tz``, parsed before anything is read (a bad
    value is a usage error), then applied to the loaded inventory in one step."""

    cpu: float | None
    memory: float | None
    zone: tzinfo | None = None

    @classmethod
    def parse(cls, cpu_limit: str | None, memory_limit: str | None, tz: str | None = None) -> View:
        return cls(
            percent(cpu_limit, "--cpu-limit"), percent(memory_limit, "--memory-limit"), zone(tz)
        )

    def apply(self, inv: Inventory) -> Inventory:
        """``inv`` with the limits overridden and its times shown in the zone."""
        return timefmt.in_zone(inv.with_limits(self.cpu, self.memory), self.zone)
