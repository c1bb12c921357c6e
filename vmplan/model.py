"""The data model: hosts, VMs, rules and one demand matrix per inventory.

A VM's CPU demand at sample ``t``, in cores, is ``cpu[t] / 100 * vcpus``. All demand lives in one
read-only float64 matrix (VMs x samples) so that fit checks are whole-matrix numpy operations.
A placement is an integer array giving, for every VM (in inventory order), the index of its host.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from vmplan.problems import Position

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class RuleKind(enum.StrEnum):
    ANTI_AFFINITY = "anti-affinity"
    AFFINITY = "affinity"
    PIN = "pin"


class Preference(enum.StrEnum):
    """Which hosts the operator would rather keep or free, among plans with as many hosts."""

    KEEP = "keep"
    FREE = "free"


@dataclass(frozen=True, slots=True)
class Rule:
    kind: RuleKind
    vms: tuple[str, ...]
    hosts: tuple[str, ...]
    name: str
    where: Position


@dataclass(frozen=True, slots=True)
class Host:
    name: str
    cores: float
    memory_bytes: int
    cpu_limit: float  # fraction of cores, e.g. 0.8
    memory_limit: float  # fraction of memory
    maintenance: bool
    where: Position
    cluster: str = ""  # "" is the one unnamed cluster of hosts that name none
    prefer: Preference | None = None  # None: no preference


@dataclass(frozen=True, slots=True)
class VM:
    name: str
    host: str
    vcpus: int
    memory_bytes: int
    where: Position


_WEIGHT = {None: 0, Preference.FREE: 1, Preference.KEEP: -1}


def _readonly(a: npt.NDArray[np.generic]) -> None:
    a.flags.writeable = False


@dataclass(frozen=True, slots=True, eq=False)
class Inventory:
    """A valid inventory. Build it with :func:`vmplan.inventory.load`; it is immutable."""

    hosts: tuple[Host, ...]
    vms: tuple[VM, ...]
    rules: tuple[Rule, ...]
    demand: FloatArray  # (VMs, samples) in cores
    interval_s: int
    start: datetime | None = None
    files: tuple[str, ...] = ()
    host_index: dict[str, int] = field(init=False)
    vm_index: dict[str, int] = field(init=False)
    cpu_cap: FloatArray = field(init=False)  # cores * cpu limit, per host
    mem_cap: FloatArray = field(init=False)  # memory bytes * memory limit, per host
    host_cores: FloatArray = field(init=False)
    host_memory: FloatArray = field(init=False)
    maintenance: BoolArray = field(init=False)
    preference: IntArray = field(init=False)  # per host: 1 prefer free, -1 prefer keep, 0 none
    vcpus: FloatArray = field(init=False)
    memory: FloatArray = field(init=False)  # per VM, bytes
    current: IntArray = field(init=False)  # today's placement

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "host_index", {h.name: i for i, h in enumerate(self.hosts)})
        s(self, "vm_index", {v.name: i for i, v in enumerate(self.vms)})
        arrays: dict[str, npt.NDArray[np.generic]] = {
            "host_cores": np.array([h.cores for h in self.hosts], dtype=np.float64),
            "host_memory": np.array([h.memory_bytes for h in self.hosts], dtype=np.float64),
            "cpu_cap": np.array([h.cores * h.cpu_limit for h in self.hosts], dtype=np.float64),
            "mem_cap": np.array(
                [h.memory_bytes * h.memory_limit for h in self.hosts], dtype=np.float64
            ),
            "maintenance": np.array([h.maintenance for h in self.hosts], dtype=np.bool_),
            "preference": np.array([_WEIGHT[h.prefer] for h in self.hosts], dtype=np.int64),
            "vcpus": np.array([v.vcpus for v in self.vms], dtype=np.float64),
            "memory": np.array([v.memory_bytes for v in self.vms], dtype=np.float64),
            "current": np.array(
                [self.host_index[v.host] for v in self.vms], dtype=np.int64
            ).reshape(-1),
        }
        for name, a in arrays.items():
            _readonly(a)
            s(self, name, a)
        _readonly(self.demand)

    def __reduce__(self) -> tuple[Callable[..., Inventory], tuple[object, ...]]:
        """Pickled as what it is built from (a cluster sent to a worker): the derived arrays are
        rebuilt there, and read-only again (see :func:`_unpickled`)."""
        fields = (self.hosts, self.vms, self.rules, self.demand, self.interval_s, self.start)
        return (_unpickled, (*fields, self.files))

    @property
    def n_samples(self) -> int:
        return int(self.demand.shape[1])

    def time_of(self, sample: int) -> datetime | None:
        """The wall-clock time of a sample, when the inventory gives ``start``."""
        if self.start is None:
            return None
        return self.start + timedelta(seconds=sample * self.interval_s)

    def with_limits(self, cpu: float | None = None, memory: float | None = None) -> Inventory:
        """The same inventory with every host's CPU and/or memory limit overridden."""
        if cpu is None and memory is None:
            return self
        hosts = tuple(
            replace(
                h,
                cpu_limit=h.cpu_limit if cpu is None else cpu,
                memory_limit=h.memory_limit if memory is None else memory,
            )
            for h in self.hosts
        )
        return Inventory(
            hosts, self.vms, self.rules, self.demand, self.interval_s, self.start, self.files
        )


def _unpickled(
    hosts: tuple[Host, ...],
    vms: tuple[VM, ...],
    rules: tuple[Rule, ...],
    demand: FloatArray,
    interval_s: int,
    start: datetime | None,
    files: tuple[str, ...],
) -> Inventory:
    """An inventory from its pickled fields. A matrix read out of a message buffer (Dask's
    pickle protocol 5) may start at an address no multiple of 8: numpy then takes its slow
    unaligned paths, and packing one 1,000-VM cluster took 30 s instead of 1.5 s. So such a
    matrix is copied once, into aligned memory."""
    if not demand.flags.aligned:
        demand = demand.copy()
    return Inventory(hosts, vms, rules, demand, interval_s, start, files)


def sum_rows(rows: FloatArray, labels: IntArray, n_labels: int) -> FloatArray:
    """The rows of every label added up, in row order (label -1: left out): (labels, columns).

    One sum per label over a gather of its rows, so each is added in order like ``np.add.at``
    would (which takes seconds on 2-D rows at 10,000 x 2,016; this takes ~0.05 s).
    """
    placed = (labels >= 0).nonzero()[0]
    if rows.shape[1] == 1:  # numpy would add a single column pairwise, not in row order
        sums = np.bincount(labels[placed], weights=rows[placed, 0], minlength=n_labels)
        return sums.astype(np.float64).reshape(n_labels, 1)
    out = np.zeros((n_labels, rows.shape[1]))
    order = placed[np.argsort(labels[placed], kind="stable")]
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.diff(sorted_labels, prepend=-2))
    ends = np.append(starts[1:], order.size)
    single = ends - starts == 1
    out[sorted_labels[starts[single]]] = rows[order[starts[single]]]
    for a, b in zip(starts[~single].tolist(), ends[~single].tolist(), strict=True):
        out[sorted_labels[a]] = rows[order[a:b]].sum(axis=0)
    return out


def host_loads(inv: Inventory, placement: IntArray) -> FloatArray:
    """Combined CPU demand in cores of every host at every sample: (hosts, samples)."""
    return sum_rows(inv.demand, placement, len(inv.hosts))


def host_memory_use(inv: Inventory, placement: IntArray) -> FloatArray:
    """Memory in bytes of the VMs on every host."""
    placed = placement >= 0
    return np.bincount(
        placement[placed], weights=inv.memory[placed], minlength=len(inv.hosts)
    ).astype(np.float64)


class Command(enum.StrEnum):
    """Which planner made a plan."""

    PACK = "pack"
    EVACUATE = "evacuate"


class MoveKind(enum.StrEnum):
    """Why a VM moves; the text shown to people is rendered from it (:class:`Reason`)."""

    FREE = "free"  # its host is freed
    MAINTENANCE = "maintenance"  # its host is in maintenance
    NOT_ALLOWED = "not-allowed"  # it may not run on its host (vCPUs, memory, peak, pin)
    ANTI_AFFINITY = "anti-affinity"  # it shares its host with an anti-affine VM
    RELIEVE = "relieve"  # its host is over a limit today
    MAKE_ROOM = "make-room"  # it steps aside so that another VM fits on its host
    EVACUATE = "evacuate"  # its host is being evacuated
    JOIN_AFFINITY = "join-affinity"  # its affinity group ends on one host
    REPACK = "repack"  # the new placement moves it, its host stays
    REBALANCE = "rebalance"  # moved for headroom
    TEMPORARY = "temporary"  # a stop on the way, to make room on its host
    OTHER = "other"  # read from a plan file in words this vmplan does not know


_REASON_TEXT = {
    MoveKind.FREE: "free {}",
    MoveKind.MAINTENANCE: "leave {} (maintenance)",
    MoveKind.NOT_ALLOWED: "may not run on {}",
    MoveKind.ANTI_AFFINITY: "anti-affinity on {}",
    MoveKind.RELIEVE: "relieve overloaded {}",
    MoveKind.MAKE_ROOM: "make room on {}",
    MoveKind.EVACUATE: "evacuate {}",
    MoveKind.JOIN_AFFINITY: "join its affinity group",
    MoveKind.REPACK: "repack",
    MoveKind.REBALANCE: "rebalance",
    MoveKind.TEMPORARY: "temporary stop, to make room on {}",
    MoveKind.OTHER: "{}",
}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a VM moves: a kind and the host it is about (or, for ``OTHER``, the words read)."""

    kind: MoveKind
    subject: str = ""

    def __str__(self) -> str:
        return _REASON_TEXT[self.kind].format(self.subject)

    @classmethod
    def parse(cls, text: str) -> Reason:
        """The reason that renders as ``text`` (a plan file's words), else ``OTHER``."""
        for kind, template in _REASON_TEXT.items():
            head, _, tail = template.partition("{}")
            if not _ and text == head:
                return cls(kind)
            if (
                _
                and len(text) > len(head) + len(tail)
                and text.startswith(head)
                and text.endswith(tail)
            ):
                return cls(kind, text[len(head) : len(text) - len(tail)])
        return cls(MoveKind.OTHER, text)


@dataclass(frozen=True, slots=True)
class Move:
    """One live migration. ``wave`` is 1-based; moves of a wave run at the same time."""

    vm: int
    source: int
    target: int
    wave: int
    seconds: float
    reason: Reason

    @property
    def temporary(self) -> bool:
        """A stop on a staging host, moved on in a later wave."""
        return self.reason.kind is MoveKind.TEMPORARY


@dataclass(frozen=True, slots=True)
class Unplaced:
    vm: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """The outcome of a planner: a verified target placement and the waves that reach it.

    When ``feasible`` is false, ``target`` equals ``before`` and ``unplaced`` says why.
    """

    command: Command
    feasible: bool
    before: IntArray
    target: IntArray
    moves: tuple[Move, ...] = ()
    lower_bound: int | None = None
    optimal: bool = False
    evacuated: tuple[int, ...] = ()
    unplaced: tuple[Unplaced, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def waves(self) -> int:
        return max((m.wave for m in self.moves), default=0)

    def wave_seconds(self) -> list[float]:
        """Duration of every wave: its longest move."""
        out = [0.0] * self.waves
        for m in self.moves:
            out[m.wave - 1] = max(out[m.wave - 1], m.seconds)
        return out

    @property
    def total_seconds(self) -> float:
        return float(sum(self.wave_seconds()))
