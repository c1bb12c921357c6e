"""What every importer produces and what the assembled inventory holds, before it is written."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from vmplan.model import FloatArray
from vmplan.problems import Problem

IntArray = npt.NDArray[np.int64]


class CpuUnit(enum.StrEnum):
    """How a source states CPU use; every one becomes percent of the VM's vCPUs."""

    PERCENT = "percent"  # 0..100 of the VM's vCPUs
    FRACTION = "fraction"  # 0..1 of the VM's vCPUs
    CORES = "cores"  # cores (CPU-seconds per second) in use
    COUNTER = "counter"  # cumulative CPU-seconds, rated per interval here (resets handled)


@dataclass(frozen=True, slots=True)
class HostRecord:
    name: str
    cores: float
    memory_bytes: int
    maintenance: bool = False


@dataclass(frozen=True, slots=True)
class VmRecord:
    name: str
    host: str
    vcpus: int
    memory_bytes: int


@dataclass(frozen=True, slots=True, eq=False)
class RawSeries:
    """One VM's samples as the source gives them: times in Unix seconds, values in ``unit``.

    ``origin`` says where they came from, for messages (``file:line`` or the query and labels).
    """

    vm: str
    times_s: FloatArray
    values: FloatArray
    unit: CpuUnit
    origin: str
    lines: IntArray | None = None  # the input line of every sample, when there is one


@dataclass(frozen=True, slots=True)
class Skipped:
    """Something the source holds that the inventory leaves out, and why."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True, eq=False)
class Collected:
    """What one source read: hosts, VMs, raw series, what it skipped and warnings."""

    source: str
    hosts: tuple[HostRecord, ...]
    vms: tuple[VmRecord, ...]
    series: tuple[RawSeries, ...]
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class Window:
    """The grid asked for: ``start``/``end`` in Unix seconds (None: the data's own span)."""

    interval_s: int
    start_s: float | None = None
    end_s: float | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Fleet:
    """The assembled inventory: hosts, VMs (in this order the CSV's columns), one matrix of
    percent of each VM's vCPUs (VMs x samples, NaN = missing) on the grid ``start`` + k *
    ``interval_s``."""

    source: str
    hosts: tuple[HostRecord, ...]
    vms: tuple[VmRecord, ...]
    start: datetime | None  # None when no series gave a time and none was asked for
    interval_s: int
    cpu_percent: FloatArray
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[Problem, ...] = ()
    clipped: dict[str, int] = field(default_factory=dict)  # VM -> samples above 100% lowered

    @property
    def n_samples(self) -> int:
        return int(self.cpu_percent.shape[1])
