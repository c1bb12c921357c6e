"""A :class:`Fleet` as inventory v1 text: the YAML and the wide ``cpu_series`` CSV beside it.

Pure: returns strings; the command writes them. Values are written in percent with one decimal,
rounded **up** (a peak is never lowered), a missing sample as an empty cell. A VM whose name a
CSV header cannot hold (a comma, a quote, a line break, spaces at either end) gets its series
inline in the YAML instead. Output is byte-identical for the same fleet.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import numpy as np

from vmplan.importers.model import Fleet
from vmplan.timefmt import exact_duration, iso_utc
from vmplan.units import SIZE_UNITS

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
_CSV_UNSAFE = re.compile(r"[,\"\r\n]")
#: percent in tenths, 0..1000, as text; index 1001 is the empty cell of a missing sample
_TENTHS = np.array([f"{i / 10:g}" for i in range(1001)] + [""], dtype=object)


def scalar(text: str) -> str:
    """A YAML scalar for a name: plain when it cannot be misread, else double-quoted."""
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def size(n: int) -> str:
    """Bytes in the largest unit that states them exactly (binary first)."""
    for unit in ("TiB", "GiB", "MiB", "KiB", "TB", "GB", "MB", "KB"):
        factor = SIZE_UNITS[unit]
        if n >= factor and n % factor == 0:
            return f"{n // factor}{unit}"
    return f"{n / 1024:.10f}".rstrip("0").rstrip(".") + "KiB"


def _cores(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def csv_safe(name: str) -> bool:
    return not _CSV_UNSAFE.search(name) and name == name.strip()


def tenths(matrix: np.ndarray) -> np.ndarray:
    """Percent rounded up to tenths as indexes into the text table; missing -> the empty cell.

    One temporary of the matrix's size (a fleet of 10,000 VMs x a week is 160 MB a copy)."""
    scaled = matrix * 10.0
    missing = np.isnan(scaled)
    np.round(scaled, 6, out=scaled)  # 12.3 stays 12.3 although 12.3 * 10 is 123.00000000000001
    np.ceil(scaled, out=scaled)
    np.clip(scaled, 0, 1000, out=scaled)
    scaled[missing] = 1001
    codes: np.ndarray = scaled.astype(np.int32)
    return codes


def _stamp(t: datetime) -> str:
    return iso_utc(t)


def inventory_yaml(fleet: Fleet, csv_name: str | None, header: str) -> str:
    """The inventory v1 YAML; ``csv_name`` (relative to it) when any VM's series is in the CSV."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += ["version: 1", f"interval: {exact_duration(fleet.interval_s)}"]
    if fleet.start is not None:
        lines.append(f"start: {_stamp(fleet.start)}")
    if csv_name is not None:
        lines.append(f"cpu_series: {scalar(csv_name)}")
    lines.append("hosts:" if fleet.hosts else "hosts: []")
    for h in fleet.hosts:
        extra = ", maintenance: true" if h.maintenance else ""
        lines.append(
            f"  - {{name: {scalar(h.name)}, cpus: {_cores(h.cores)}, "
            f"memory: {size(h.memory_bytes)}{extra}}}"
        )
    lines.append("vms:" if fleet.vms else "vms: []")
    for i, v in enumerate(fleet.vms):
        inline = ""
        if csv_name is None or not csv_safe(v.name):
            codes = tenths(fleet.cpu_percent[i])
            inline = ', cpu: "' + " ".join("null" if c == 1001 else _TENTHS[c] for c in codes) + '"'
        lines.append(
            f"  - {{name: {scalar(v.name)}, host: {scalar(v.host)}, vcpus: {v.vcpus}, "
            f"memory: {size(v.memory_bytes)}{inline}}}"
        )
    return "\n".join(lines) + "\n"


def needs_csv(fleet: Fleet) -> bool:
    return any(csv_safe(v.name) for v in fleet.vms)


def series_csv(fleet: Fleet) -> str:
    """``timestamp,<vm>,...`` then one row per sample (times when the fleet has a start)."""
    cols = [i for i, v in enumerate(fleet.vms) if csv_safe(v.name)]
    chosen = fleet.cpu_percent if len(cols) == len(fleet.vms) else fleet.cpu_percent[cols]
    codes = np.ascontiguousarray(tenths(chosen).T)
    out = ["timestamp," + ",".join(fleet.vms[i].name for i in cols)]
    step = timedelta(seconds=fleet.interval_s)
    for k in range(fleet.n_samples):
        when = _stamp(fleet.start + k * step) if fleet.start is not None else str(k)
        out.append(when + "," + ",".join(_TENTHS[codes[k]]))
    return "\n".join(out) + "\n"
