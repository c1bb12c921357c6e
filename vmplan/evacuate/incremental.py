"""Verifying many evacuations of one inventory: today's loads summed once, then per evacuation
only the hosts it changes.

``check --evacuable`` verifies one target placement per host. Each moves a few dozen VMs, yet the
from-scratch checker (:func:`vmplan.engine.verify.verify_placement`) re-adds the whole demand
matrix every time (13 of 20 s on a 10,000-VM fleet). :class:`Verifier` gives the same answer, with
the same messages in the same order. Today's host rows are summed once; a host that sends or
receives gets its row updated by the VMs that move. Rounding makes an updated row differ from a
fresh sum by far less than ``MARGIN``, so where its peak is further than that from the limit the
verdict is certain; a host nearer the limit, or over it (to name its worst sample), is summed from
scratch exactly as the checker sums it. Every other host keeps the verdict it had today. Memory per
host, vCPUs, closed hosts and rules are cheap and checked in full. A test holds it to the
from-scratch checker.
"""

from __future__ import annotations

import numpy as np

from vmplan.constraints import cpu_fits, memory_fits, padded_cpu_cap
from vmplan.engine.verify import fit_and_rule_problems
from vmplan.model import BoolArray, FloatArray, IntArray, Inventory, sum_rows

#: Relative distance from the limit within which an updated row is summed again from scratch.
MARGIN = 1e-6


class Verifier:
    """``problems(target, named)`` == ``verify_placement(inv, target, named, current)``."""

    def __init__(self, inv: Inventory, current: IntArray) -> None:
        self.inv = inv
        self.current = current.copy()
        n_hosts = len(inv.hosts)
        self.cpu = sum_rows(inv.demand, current, n_hosts)  # rounding differs: see MARGIN
        self.cap = padded_cpu_cap(inv.cpu_cap)
        self.cpu_over = np.zeros(n_hosts, dtype=np.bool_)
        self.worst = np.zeros(n_hosts, dtype=np.int64)  # the sample named when over
        for h in range(n_hosts):
            self.cpu_over[h], self.worst[h] = self._cpu(current, h)

    def _changed(
        self, target: IntArray, moved: IntArray, hosts: IntArray
    ) -> tuple[BoolArray, IntArray]:
        """CPU verdict and worst sample of ``hosts`` (those that send or receive)."""
        inv = self.inv
        row = {h: k for k, h in enumerate(hosts.tolist())}
        rows = self.cpu[hosts]
        for v in moved.tolist():
            rows[row[int(self.current[v])]] -= inv.demand[v]
            rows[row[int(target[v])]] += inv.demand[v]
        over = np.zeros(hosts.size, dtype=np.bool_)
        worst = np.zeros(hosts.size, dtype=np.int64)
        if rows.shape[1] == 0:
            return over, worst
        gap = (rows - self.cap[hosts, None]).max(axis=1)
        near = np.abs(gap) <= MARGIN * (1.0 + self.cap[hosts])
        for k in np.flatnonzero(near | (gap > 0)).tolist():
            over[k], worst[k] = self._cpu(target, int(hosts[k]))
        return over, worst

    def _cpu(self, placement: IntArray, h: int) -> tuple[bool, int]:
        """Whether host ``h`` is over its CPU limit, and its busiest sample (summed as the
        from-scratch checker sums it)."""
        inv = self.inv
        row: FloatArray = inv.demand[placement == h].sum(axis=0)
        if row.size == 0:
            return False, 0
        over = not bool(cpu_fits(row, inv.cpu_cap[h]).all())
        return over, int(np.argmax(row))

    def problems(self, target: IntArray, named: frozenset[int]) -> list[str]:
        inv = self.inv
        n_hosts = len(inv.hosts)
        if target.shape != (len(inv.vms),):
            return [f"placement has shape {target.shape}, expected ({len(inv.vms)},)"]
        if ((target < 0) | (target >= n_hosts)).any():
            return ["a VM is not placed on any host"]
        moved = (target != self.current).nonzero()[0]
        changed = np.unique(np.concatenate((self.current[moved], target[moved])))
        cpu_over, worst = self.cpu_over.copy(), self.worst.copy()
        cpu_over[changed], worst[changed] = self._changed(target, moved, changed)
        mem = np.bincount(target, weights=inv.memory, minlength=n_hosts).astype(np.float64)
        mem_over: BoolArray = ~memory_fits(mem, inv.mem_cap)
        out = []
        for h in np.flatnonzero(cpu_over | mem_over).tolist():
            name = inv.hosts[h].name
            if cpu_over[h]:
                out.append(f"host {name} over its CPU limit at sample {int(worst[h])}")
            if mem_over[h]:
                out.append(f"host {name} over its memory limit")
        closed = np.isin(target, list(named)) | (inv.maintenance[target] & (self.current != target))
        return out + fit_and_rule_problems(inv, target, closed)
