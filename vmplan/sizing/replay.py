"""Replay a placement on a series (typically a later period) and count what goes over.

"Over the limit" is the shared fit rule (:func:`vmplan.constraints.cpu_fits`) failing at a sample:
the host's combined CPU above ``cores x cpu_limit``; "over full" the same against all its cores.
Shares of time are of host-samples of the hosts the placement uses (a freed host is never over).
Memory is one number per VM, so a host is over its memory limit at every sample or at none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vmplan.constraints import cpu_fits, memory_fits
from vmplan.model import IntArray, Inventory, host_loads, host_memory_use


@dataclass(frozen=True, slots=True)
class HostReplay:
    host: int
    vms: int
    samples_over_limit: int
    samples_over_full: int
    time_over_limit: float  # fraction of this host's samples
    worst: float  # highest combined CPU as a fraction of the host's cores
    worst_sample: int
    memory: float  # fraction of the host's memory
    memory_over_limit: bool


@dataclass(frozen=True, slots=True)
class Replay:
    samples: int
    hosts: tuple[HostReplay, ...]  # the hosts the placement uses, in inventory order

    @property
    def samples_over_limit(self) -> int:
        return sum(h.samples_over_limit for h in self.hosts)

    @property
    def samples_over_full(self) -> int:
        return sum(h.samples_over_full for h in self.hosts)

    @property
    def time_over_limit(self) -> float:
        host_samples = len(self.hosts) * self.samples
        return self.samples_over_limit / host_samples if host_samples else 0.0

    @property
    def worst(self) -> float:
        return max((h.worst for h in self.hosts), default=0.0)

    @property
    def hosts_over_memory(self) -> int:
        return sum(h.memory_over_limit for h in self.hosts)

    @property
    def clean(self) -> bool:
        """Nothing over a limit at any sample."""
        return self.samples_over_limit == 0 and self.hosts_over_memory == 0

    def summary(self) -> dict[str, float | int]:
        """The held-out numbers of a sizing (JSON ``sizing.holdout``)."""
        return {
            "samples": self.samples,
            "time_over_limit": round(self.time_over_limit, 6),
            "samples_over_limit": self.samples_over_limit,
            "samples_over_full": self.samples_over_full,
            "worst": round(self.worst, 4),
        }


def replay(inv: Inventory, placement: IntArray) -> Replay:
    """Every used host's overshoots when the VMs of ``inv`` sit where ``placement`` says."""
    loads = host_loads(inv, placement)
    used = np.flatnonzero(np.bincount(placement[placement >= 0], minlength=len(inv.hosts)))
    loads = loads[used]
    over_limit = ~cpu_fits(loads, inv.cpu_cap[used, None])
    over_full = ~cpu_fits(loads, inv.host_cores[used, None])
    share = loads / inv.host_cores[used, None]
    t = inv.n_samples
    worst_at = np.argmax(share, axis=1) if t else np.zeros(used.size, dtype=np.int64)
    memory = host_memory_use(inv, placement)[used]
    memory_over = ~memory_fits(memory, inv.mem_cap[used])
    counts = np.bincount(placement[placement >= 0], minlength=len(inv.hosts))[used]
    hosts = tuple(
        HostReplay(
            host=int(h),
            vms=int(counts[i]),
            samples_over_limit=int(over_limit[i].sum()),
            samples_over_full=int(over_full[i].sum()),
            time_over_limit=float(over_limit[i].sum()) / t if t else 0.0,
            worst=float(share[i, worst_at[i]]) if t else 0.0,
            worst_sample=int(worst_at[i]),
            memory=float(memory[i] / inv.host_memory[h]),
            memory_over_limit=bool(memory_over[i]),
        )
        for i, h in enumerate(used.tolist())
    )
    return Replay(t, hosts)
