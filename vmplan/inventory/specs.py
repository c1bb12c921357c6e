"""The format's keys, and what the schema tier reads out of one file: typed values with positions.

These are the schema's output and the merge's input; nothing here is validated across files yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from vmplan.model import FloatArray, Preference, RuleKind
from vmplan.problems import Position

T = TypeVar("T")

SUPPORTED_VERSIONS = (1,)
TOP_KEYS = ("version", "interval", "start", "limits", "hosts", "vms", "rules", "cpu_series")
LIMIT_KEYS = ("cpu", "memory")
HOST_KEYS = ("name", "cpus", "memory", "maintenance", "limits", "cluster", "prefer")
VM_KEYS = ("name", "host", "vcpus", "memory", "cpu")
RULE_KEYS = ("type", "vms", "hosts", "name")
#: Upper bounds of a host's cores and a VM's vCPUs: far past any machine, and far inside what
#: the arithmetic on them handles.
MAX_CORES = 1_000_000
MAX_VCPUS = 1_000_000


@dataclass(frozen=True, slots=True)
class Located(Generic[T]):
    """A value together with where it was written."""

    value: T
    where: Position


@dataclass(slots=True)
class HostSpec:
    name: str
    cores: float
    memory_bytes: int
    maintenance: bool
    cpu_limit: float | None
    memory_limit: float | None
    where: Position  # of the name
    path: str  # e.g. "hosts[3]": its place in the file
    cluster: str = ""  # "": the unnamed cluster
    prefer: Preference | None = None


@dataclass(slots=True, eq=False)
class VmSpec:
    name: str
    host: Located[str]
    vcpus: int
    memory_bytes: int
    cpu: FloatArray | None  # NaN = missing sample
    cpu_where: Position | None
    where: Position  # of the name
    path: str  # e.g. "vms[12]": its place in the file


@dataclass(slots=True)
class RuleSpec:
    kind: RuleKind
    vms: list[Located[str]]
    hosts: list[Located[str]]
    name: str
    where: Position
    path: str  # e.g. "rules[0]"


@dataclass(slots=True, eq=False)
class FileSpec:
    file: str
    version: Located[int | None] | None = None
    interval: Located[int] | None = None  # seconds
    start: Located[datetime] | None = None
    limits: dict[str, Located[float]] = field(default_factory=dict)  # a fraction of 1
    hosts: list[HostSpec] = field(default_factory=list)
    vms: list[VmSpec] = field(default_factory=list)
    rules: list[RuleSpec] = field(default_factory=list)
    cpu_series: Located[str] | None = None  # the path as written
    # names of entries that were invalid: references to them are not reported a second time
    broken_names: set[str] = field(default_factory=set)
    # (path, host) of invalid VM entries whose host could be read: the reference is checked too
    broken_vm_hosts: list[tuple[str, Located[str]]] = field(default_factory=list)
    top_level_read: bool = False  # the document is a mapping (not empty, not a list or scalar)
    hosts_written: bool = False  # something is written under 'hosts' (valid or not)
