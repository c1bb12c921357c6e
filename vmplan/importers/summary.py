"""What an import found, as lines of text for stderr: hosts, VMs, time range, coverage, skips."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from vmplan.importers.model import Fleet
from vmplan.timefmt import exact_duration, iso_utc

#: at most this many names per line; the rest are counted
SHOWN = 20


def _names(items: list[str]) -> str:
    more = f", ... ({len(items) - SHOWN} more)" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more


def lines(fleet: Fleet) -> list[str]:
    n = fleet.n_samples
    out = [f"{fleet.source}: {len(fleet.hosts)} hosts, {len(fleet.vms)} VMs"]
    if fleet.start is None:
        out.append("time: no series, so no time range; the VMs' series are left missing")
    if fleet.start is not None:
        end = fleet.start + timedelta(seconds=fleet.interval_s * (n - 1))
        out.append(
            f"time: {iso_utc(fleet.start)} .. {iso_utc(end)}, {n} samples every "
            f"{exact_duration(fleet.interval_s)}"
        )
    known = (
        np.count_nonzero(~np.isnan(fleet.cpu_percent), axis=1)
        if fleet.vms
        else np.zeros(0, dtype=np.int64)
    )
    full = [v.name for v, k in zip(fleet.vms, known, strict=True) if k == n]
    gaps = [
        f"{v.name} ({100 * k / n:.3g}% known)"
        for v, k in zip(fleet.vms, known, strict=True)
        if 0 < k < n
    ]
    none = [v.name for v, k in zip(fleet.vms, known, strict=True) if k == 0]
    cover = f"coverage: {len(full)} VMs complete"
    if fleet.vms:
        total = float(known.sum()) / (len(fleet.vms) * n)
        cover += f", {100 * total:.1f}% of all samples known"
    out.append(cover)
    if gaps:
        out.append(
            f"  {len(gaps)} with gaps (missing samples are filled with the VM's peak on load): {_names(gaps)}"
        )
    if none:
        out.append(f"  {len(none)} without a series (loaded as 100% busy): {_names(none)}")
    if fleet.skipped:
        out.append(f"skipped {len(fleet.skipped)}:")
        out += [f"  {s.name}: {s.reason}" for s in fleet.skipped[:SHOWN]]
        if len(fleet.skipped) > SHOWN:
            out.append(f"  ... and {len(fleet.skipped) - SHOWN} more")
    return out
