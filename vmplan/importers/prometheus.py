"""Prometheus: the HTTP API (``/api/v1/query_range``) or saved responses, into hosts, VMs, series.

Five queries, each overridable, fit the libvirt exporter with node_exporter on each hypervisor:

=============  ==============================================================  ==========
kind           default query                                                   unit
=============  ==============================================================  ==========
cpu            ``rate(libvirt_domain_info_cpu_time_seconds_total[5m])``        cores
vcpus          ``libvirt_domain_info_virtual_cpus``                            count
memory         ``libvirt_domain_info_maximum_memory_bytes``                    bytes
host-cores     ``count by (instance) (node_cpu_seconds_total{mode="idle"})``   cores
host-memory    ``node_memory_MemTotal_bytes``                                  bytes
=============  ==============================================================  ==========

A VM is named by ``vm_label`` and placed on ``host_label`` with any ``:port`` removed, so the
libvirt exporter's ``kvm01:9177`` and node_exporter's ``kvm01:9100`` are one host. vCPUs, memory
and the host a VM is on are the values at the latest time a series has (a VM that migrated
during the window is on its last host). The server refuses more than 11,000 points per series,
so a long range is asked for in chunks of :data:`MAX_POINTS`.
"""

from __future__ import annotations

import json
import math
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vmplan.importers.model import Collected, CpuUnit, HostRecord, RawSeries, Skipped, VmRecord
from vmplan.importers.promjson import RULE, Matrix, parse, parse_file
from vmplan.problems import InputError, Problem

#: a wrong --vm-label leaves every series unlabelled: a few of each answer say so
SHOWN_PER_ANSWER = 3
KINDS = ("cpu", "vcpus", "memory", "host-cores", "host-memory")
MAX_POINTS = 10_000
#: a saved response's file name says which query it answers: cpu.json, vcpus-2.json, ...
_FILE_KIND = re.compile(r"^(host-cores|host-memory|vcpus|memory|cpu)(?:[-_.][^/]*)?\.json$")
_PORT = re.compile(r":[0-9]+$")


@dataclass(frozen=True, slots=True)
class Queries:
    cpu: str = "rate(libvirt_domain_info_cpu_time_seconds_total[5m])"
    vcpus: str = "libvirt_domain_info_virtual_cpus"
    memory: str = "libvirt_domain_info_maximum_memory_bytes"
    host_cores: str = 'count by (instance) (node_cpu_seconds_total{mode="idle"})'
    host_memory: str = "node_memory_MemTotal_bytes"

    def of(self, kind: str) -> str:
        return str(getattr(self, kind.replace("-", "_")))


@dataclass(frozen=True, slots=True)
class Settings:
    queries: Queries = field(default_factory=Queries)
    vm_label: str = "domain"
    host_label: str = "instance"
    cpu_unit: CpuUnit = CpuUnit.CORES


@dataclass(frozen=True, slots=True, eq=False)
class Answer:
    """The series one query returned, and where from (a file, or the query at a URL)."""

    kind: str
    origin: str
    series: tuple[Matrix, ...]


def labels_text(labels: Mapping[str, str]) -> str:
    inner = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(labels.items()))
    return "{" + inner + "}"


def host_name(value: str) -> str:
    """``kvm01:9100`` -> ``kvm01``; ``[fe80::1]:9100`` -> ``fe80::1``."""
    if value.startswith("[") and "]" in value:
        return value[1 : value.index("]")]
    return _PORT.sub("", value)


def file_kind(name: str) -> str | None:
    m = _FILE_KIND.match(name)
    return m.group(1) if m else None


# --- the server -------------------------------------------------------------------------------

Opener = Callable[[urllib.request.Request, float], bytes]


def _open(request: urllib.request.Request, timeout: float) -> bytes:
    context = ssl.create_default_context()  # certificates and host names are verified
    with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
        data: bytes = response.read()
        return data


def query_step(interval_s: int) -> int:
    """The step to ask for: the interval, or a divisor of it no longer than the 5m rate window,
    so that downsampling takes the maximum of every window instead of one sample in each."""
    return interval_s if interval_s <= 300 else math.gcd(interval_s, 300)


def chunks(start_s: int, end_s: int, step_s: int) -> list[tuple[int, int]]:
    """``[start, end]`` cut into ranges of at most :data:`MAX_POINTS` points, none shared."""
    out = []
    t = start_s
    while t <= end_s:
        last = min(end_s, t + (MAX_POINTS - 1) * step_s)
        out.append((t, last))
        t = last + step_s
    return out


def query_range(
    url: str,
    kind: str,
    query: str,
    span: tuple[int, int, int],
    headers: Sequence[tuple[str, str]],
    timeout: float = 60.0,
    opener: Opener = _open,
) -> Answer:
    """Ask the server for ``query`` over ``span`` = (start, end, step) in chunks; merge them."""
    endpoint = url.rstrip("/") + "/api/v1/query_range"
    merged: dict[tuple[tuple[str, str], ...], list[Matrix]] = {}
    for lo, hi in chunks(*span):
        body = urllib.parse.urlencode(
            {"query": query, "start": lo, "end": hi, "step": span[2]}
        ).encode()
        request = urllib.request.Request(endpoint, data=body, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        for name, value in headers:
            request.add_header(name, value)
        try:
            data = opener(request, timeout)
        except urllib.error.HTTPError as exc:
            raise _failed(url, kind, query, _http_error(exc)) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise _failed(url, kind, query, f"cannot reach the server: {reason}") from None
        try:
            found = parse(data, endpoint, last_only=kind != "cpu")
        except InputError as exc:
            raise _failed(url, kind, query, exc.problems[0].message) from None
        for m in found:
            merged.setdefault(tuple(sorted(m.labels.items())), []).append(m)
    series = tuple(
        Matrix(
            dict(key),
            np.concatenate([p.times_s for p in parts]),
            np.concatenate([p.values for p in parts]),
        )
        for key, parts in sorted(merged.items())
    )
    return Answer(kind, f"{url} {kind} query {query}", series)


def _http_error(exc: urllib.error.HTTPError) -> str:
    detail = ""
    try:
        doc = json.loads(exc.read(65536))
        detail = f": {doc.get('errorType', '')}: {doc.get('error', '')}"
    except (ValueError, OSError, AttributeError):
        pass
    return f"the server answered {exc.code} {exc.reason}{detail}"


def _failed(url: str, kind: str, query: str, message: str) -> InputError:
    return InputError([Problem(url, 0, 0, f"{kind} query {query}", message, RULE)])


# --- saved responses --------------------------------------------------------------------------


def read_saved(path: Path) -> Answer:
    """A saved response; its file name (``cpu.json``, ``host-cores-1.json``...) says its kind.

    Read in chunks, so a response of 10,000 VMs is never held whole."""
    shown = str(path)
    kind = file_kind(path.name)
    if kind is None:
        names = ", ".join(f"{k}*.json" for k in KINDS)
        raise InputError(
            [
                Problem(
                    shown,
                    0,
                    0,
                    "",
                    f"cannot tell which query this file answers: expected a name like {names}",
                    RULE,
                )
            ]
        )
    try:
        with path.open("rb") as f:
            return Answer(kind, shown, tuple(parse_file(f, shown, last_only=kind != "cpu")))
    except OSError as exc:
        raise InputError(
            [Problem(shown, 0, 0, "", f"cannot read: {exc.strerror}", "input")]
        ) from None


def fetch(
    url: str,
    settings: Settings,
    span_s: tuple[float, float],
    interval_s: int,
    headers: Sequence[tuple[str, str]],
) -> Collected:
    """Hosts, VMs and series from the server at ``url`` between the two times."""
    step = query_step(interval_s)
    span = (int(span_s[0] // step * step), int(span_s[1] // step * step), step)
    # a counter is rated between samples: one step earlier rates the first interval too
    early = (span[0] - step, span[1], step) if settings.cpu_unit is CpuUnit.COUNTER else span
    answers = [
        query_range(url, kind, settings.queries.of(kind), early if kind == "cpu" else span, headers)
        for kind in KINDS
    ]
    return collect(answers, settings, url)


def read_files(paths: Sequence[Path], settings: Settings) -> Collected:
    """Hosts, VMs and series from saved responses; every unreadable file named at once."""
    problems: list[Problem] = []
    answers = []
    for path in paths:
        try:
            answers.append(read_saved(path))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
    return collect(answers, settings, f"{paths[0]}{more}")


# --- answers -> hosts, VMs, series ------------------------------------------------------------


def _latest(m: Matrix) -> tuple[float, float] | None:
    ok = np.flatnonzero(~np.isnan(m.values))
    if not ok.size:
        return None
    i = int(ok[np.argmax(m.times_s[ok])])
    return float(m.times_s[i]), float(m.values[i])


def collect(answers: Sequence[Answer], settings: Settings, source: str) -> Collected:
    """Hosts, VMs and CPU series from the answers of the five queries; every problem at once."""
    problems: list[Problem] = []
    by_kind: dict[str, list[Answer]] = {k: [] for k in KINDS}
    for a in answers:
        by_kind[a.kind].append(a)
    for kind in KINDS:
        if not by_kind[kind]:
            problems.append(
                Problem(
                    source,
                    0,
                    0,
                    kind,
                    f"no answer to the {kind} query (a saved one is named {kind}.json)",
                    RULE,
                )
            )
    if problems:
        raise InputError(problems)

    unlabelled: list[Problem] = []  # one per series: the first few of each answer are shown

    def latest_by(kind: str, label: str) -> dict[str, tuple[float, float, dict[str, str], str]]:
        out: dict[str, tuple[float, float, dict[str, str], str]] = {}
        for a in by_kind[kind]:
            for m in a.series:
                name = m.labels.get(label)
                if name is None:
                    unlabelled.append(_no_label(a, m, label, kind))
                    continue
                last = _latest(m)
                if last is None:
                    continue
                seen = out.get(name)
                if seen is not None and kind == "vcpus" and last[0] == seen[0]:
                    hosts = sorted(
                        {
                            seen[2].get(settings.host_label, "?"),
                            m.labels.get(settings.host_label, "?"),
                        }
                    )
                    if len(hosts) > 1:
                        problems.append(_twice(a, m, name, hosts, settings.vm_label))
                if seen is None or last[0] > seen[0]:
                    out[name] = (last[0], last[1], m.labels, a.origin)
        return out

    vcpus = latest_by("vcpus", settings.vm_label)
    memory = latest_by("memory", settings.vm_label)
    cores = latest_by("host-cores", settings.host_label)
    host_memory = latest_by("host-memory", settings.host_label)

    hosts: dict[str, HostRecord] = {}
    host_cores = {host_name(k): v for k, v in sorted(cores.items())}
    host_mem = {host_name(k): v for k, v in sorted(host_memory.items())}
    skipped: list[Skipped] = []
    for name in sorted(host_cores.keys() | host_mem.keys()):
        c, mem = host_cores.get(name), host_mem.get(name)
        if c is None or mem is None:
            missing = "host-cores" if c is None else "host-memory"
            skipped.append(Skipped(name, f"a host with no answer to the {missing} query"))
            continue
        if c[1] <= 0 or mem[1] <= 0:
            problems.append(_bad_value(c if c[1] <= 0 else mem, "a positive number"))
            continue
        hosts[name] = HostRecord(name, float(c[1]), int(mem[1]))

    vms: list[VmRecord] = []
    for name, (_t, count, labels, origin) in sorted(vcpus.items()):
        host_label = labels.get(settings.host_label)
        if host_label is None:
            problems.append(
                Problem(
                    origin,
                    0,
                    0,
                    labels_text(labels),
                    f"no label '{settings.host_label}' to place the VM on a host (--host-label)",
                    RULE,
                )
            )
            continue
        if count <= 0 or not float(count).is_integer():
            problems.append(_bad_value((_t, count, labels, origin), "a whole number of vCPUs"))
            continue
        mem = memory.get(name)
        if mem is None:
            skipped.append(Skipped(name, "a VM with no answer to the memory query"))
            continue
        if mem[1] <= 0:
            problems.append(_bad_value(mem, "a positive number of bytes"))
            continue
        host = host_name(host_label)
        if host not in hosts:
            skipped.append(Skipped(name, f"a VM on host '{host}', which has no cores and memory"))
            continue
        vms.append(VmRecord(name, host, int(count), int(mem[1])))

    series: list[RawSeries] = []
    for a in by_kind["cpu"]:
        for m in a.series:
            vm = m.labels.get(settings.vm_label)
            if vm is None:
                unlabelled.append(_no_label(a, m, settings.vm_label, "cpu"))
                continue
            origin = f"{a.origin} {labels_text(m.labels)}"
            series.append(RawSeries(vm, m.times_s, m.values, settings.cpu_unit, origin))
    problems += _first_of_each(unlabelled, SHOWN_PER_ANSWER)
    if problems:
        raise InputError(problems)
    return Collected(source, tuple(hosts.values()), tuple(vms), tuple(series), tuple(skipped))


def _first_of_each(found: list[Problem], most: int) -> list[Problem]:
    """The first ``most`` problems of each file or query, and how many more there are."""
    out: list[Problem] = []
    counts = Counter(p.file for p in found)
    seen: Counter[str] = Counter()
    for p in found:
        seen[p.file] += 1
        if seen[p.file] <= most:
            out.append(p)
        if seen[p.file] == most and counts[p.file] > most:
            message = f"{counts[p.file]} series like the ones below; the first {most} are shown"
            out.append(Problem(p.file, 0, 0, "", message, RULE))
    return out


def _twice(a: Answer, m: Matrix, name: str, hosts: list[str], label: str) -> Problem:
    return Problem(
        a.origin,
        0,
        0,
        labels_text(m.labels),
        f"VM '{name}' runs on {' and '.join(hosts)} at the same time: two VMs share the name; "
        f"choose a --vm-label that tells them apart (it is '{label}')",
        RULE,
    )


def _no_label(a: Answer, m: Matrix, label: str, kind: str) -> Problem:
    option = "--vm-label" if kind in ("cpu", "vcpus", "memory") else "--host-label"
    return Problem(
        a.origin,
        0,
        0,
        labels_text(m.labels),
        f"the {kind} series has no label '{label}' ({option}); its labels are "
        f"{', '.join(sorted(m.labels)) or 'none'}",
        RULE,
    )


def _bad_value(found: tuple[float, float, dict[str, str], str], expected: str) -> Problem:
    _t, value, labels, origin = found
    shown = "NaN" if math.isnan(value) else f"{value:g}"
    return Problem(origin, 0, 0, labels_text(labels), f"expected {expected}, got {shown}", RULE)
