"""Hosts being filled: running loads (hosts x samples) and a vectorised fit test.

(The hot paths call ``a.nonzero()[0]``: ``np.flatnonzero``'s Python wrapper costs more than the
work on these small arrays, and the fit test runs tens of thousands of times.)

The fit test of an item against many hosts at once prunes with cheap bounds before the
full-series check, on blocks of consecutive samples (at most 256 blocks): a host that, block by
block, has its maximum plus the item's maximum within the limit certainly fits; a host whose mean
plus the item's mean exceeds the limit in some block certainly does not (a mean is reached at some
sample of its block). Only the hosts in between get the full ``load + demand <= cap`` test.
"""

from __future__ import annotations

import numpy as np

from vmplan.constraints import padded_cpu_cap, padded_memory_cap
from vmplan.engine.items import Items, block_edges, block_reduce, block_sizes, top_samples
from vmplan.model import BoolArray, IntArray, Inventory, sum_rows


class Hosts:
    """Mutable packing state over items (never shared outside the solver)."""

    def __init__(self, inv: Inventory, items: Items, where: IntArray) -> None:
        self.inv = inv
        self.items = items
        self.where = where.copy()  # item -> host, -1 = unplaced
        n_hosts = len(inv.hosts)
        self.cap = padded_cpu_cap(inv.cpu_cap)
        self.mem_cap = padded_memory_cap(inv.mem_cap)
        placed = np.flatnonzero(self.where >= 0)
        self.load = sum_rows(items.demand, self.where, n_hosts)
        self.mem = np.bincount(self.where[placed], weights=items.memory[placed], minlength=n_hosts)
        self.count = np.bincount(self.where[placed], minlength=n_hosts)
        self.peak = self.load.max(axis=1) if inv.n_samples else np.zeros(n_hosts)
        self.edges = block_edges(inv.n_samples)
        self.sizes = block_sizes(inv.n_samples)
        self.block_max = block_reduce(self.load, np.maximum, self.edges)
        self.block_mean = block_reduce(self.load, np.add, self.edges) / self.sizes
        self.top = top_samples(self.load)

    def copy(self) -> Hosts:
        new = Hosts.__new__(Hosts)
        new.inv, new.items, new.cap, new.mem_cap = self.inv, self.items, self.cap, self.mem_cap
        new.where = self.where.copy()
        new.load = self.load.copy()
        new.mem = self.mem.copy()
        new.count = self.count.copy()
        new.peak = self.peak.copy()
        new.edges, new.sizes = self.edges, self.sizes
        new.block_max = self.block_max.copy()
        new.block_mean = self.block_mean.copy()
        new.top = self.top.copy()
        return new

    def used(self) -> IntArray:
        return (self.count > 0).nonzero()[0]

    def screen(self, its: IntArray, hosts: IntArray) -> tuple[BoolArray, BoolArray]:
        """(possible, certain) for every pair (``its[k]``, ``hosts[k]``), without the full test.

        While loads only grow (first-fit decreasing), "not possible" stays true; "certain" holds
        until the host receives something.
        """
        it = self.items
        ok = it.allowed[its, hosts] & (self.mem[hosts] + it.memory[its] <= self.mem_cap[hosts])
        for i in np.unique(its[it.has_conflicts[its]]).tolist():
            taken = [self.where[j] for j in it.conflicts[i] if self.where[j] >= 0]
            ok &= ~((its == i) & np.isin(hosts, taken))
        cap = self.cap[hosts]
        sure: BoolArray = ok & (self.peak[hosts] + it.peak[its] <= cap)
        rest = (ok ^ sure).nonzero()[0]
        if rest.size:
            # the busiest samples of each host and of the item rule out most hosts cheaply
            rows, ri, c = hosts[rest], its[rest], cap[rest, None]
            at = np.concatenate((self.top[rows], it.top[ri]), axis=1)
            samples = self.load.shape[1]  # flat indices: ``take`` beats 2-D fancy indexing
            busiest = self.load.take(at + (rows * samples)[:, None]) + it.demand.take(
                at + (ri * samples)[:, None]
            )
            out = (busiest > c).any(axis=1)
            ok[rest[out]] = False
            keep = ~out
            rest, rows, ri, c = rest[keep], rows[keep], ri[keep], c[keep]
        if rest.size:
            certain = (self.block_max[rows] + it.block_max[ri] <= c).all(axis=1)
            sure[rest[certain]] = True
            keep = ~certain
            rest, rows, ri, c = rest[keep], rows[keep], ri[keep], c[keep]
            impossible = (self.block_mean[rows] + it.block_mean[ri] > c).any(axis=1)
            ok[rest[impossible]] = False
        return ok, sure

    def _screen(self, i: int, hosts: IntArray) -> tuple[BoolArray, BoolArray]:
        return self.screen(np.full(hosts.size, i, dtype=np.int64), hosts)

    def full(self, i: int, hosts: IntArray) -> BoolArray:
        """The full test: combined series within the limit at every sample."""
        cap = self.cap[hosts, None]
        return np.asarray((self.load[hosts] + self.items.demand[i] <= cap).all(axis=1))

    def exact(self, i: int, hosts: IntArray) -> BoolArray:
        """Every test without screening (for hosts changed since a :meth:`screen`)."""
        ok: BoolArray = self.items.allowed[i, hosts] & (
            self.mem[hosts] + self.items.memory[i] <= self.mem_cap[hosts]
        )
        for j in self.items.conflicts[i]:
            ok &= hosts != self.where[j]
        idx = ok.nonzero()[0]
        if idx.size:
            ok[idx] = self.full(i, hosts[idx])
        return ok

    def fits(self, i: int, hosts: IntArray) -> BoolArray:
        """Which of ``hosts`` can take item ``i`` now (limits at every sample, memory, rules)."""
        ok, sure = self._screen(i, hosts)
        rest = (ok & ~sure).nonzero()[0]
        if rest.size:
            sure[rest[self.full(i, hosts[rest])]] = True
        return sure

    def first_fit(self, i: int, hosts: IntArray, chunk: int = 8) -> int:
        """The first of ``hosts`` (in the given order) that takes item ``i``, or -1.

        Full tests run a chunk at a time and stop at the first fit.
        """
        ok, sure = self._screen(i, hosts)
        cand = ok.nonzero()[0]
        for k in range(0, cand.size, chunk):
            part = cand[k : k + chunk]
            good = sure[part].copy()
            unsure = (~good).nonzero()[0]
            if unsure.size:
                good[unsure[self.full(i, hosts[part[unsure]])]] = True
            if good.any():
                return int(hosts[part[int(np.argmax(good))]])
        return -1

    def best_fit(self, i: int, hosts: IntArray) -> int:
        """The fitting host among ``hosts`` left fullest by the item (by peak share), or -1.

        Candidates are tried fullest first, so the first that fits is the best fit.
        """
        if hosts.size == 0:
            return -1
        score = (self.peak[hosts] + self.items.peak[i]) / self.cap[hosts]
        order = hosts[np.lexsort((hosts, -score))]
        return self.first_fit(i, order)

    def fits_with_out(self, i: int, h: int, out: int) -> bool:
        """Whether host ``h`` can take item ``i`` once item ``out`` (on ``h``) has left."""
        it = self.items
        if not it.allowed[i, h]:
            return False
        if self.mem[h] - it.memory[out] + it.memory[i] > self.mem_cap[h]:
            return False
        if any(self.where[j] == h and j != out for j in it.conflicts[i]):
            return False
        row = self.load[h] - it.demand[out] + it.demand[i]
        return bool((row <= self.cap[h]).all())

    def shed(self, h: int) -> list[int]:
        """Take items off host ``h`` until it is within its limits: each time the largest at its
        worst sample (or by memory, when memory is over); returns the items taken off."""
        out = []
        while self.count[h] and (
            (self.load[h] > self.cap[h]).any() or self.mem[h] > self.mem_cap[h]
        ):
            members = np.flatnonzero(self.where == h)
            if self.mem[h] > self.mem_cap[h]:
                size = self.items.memory[members]
            else:
                size = self.items.demand[members, int(np.argmax(self.load[h] - self.cap[h]))]
            i = int(members[int(np.argmax(size))])
            self.remove(i)
            out.append(i)
        return out

    def add(self, i: int, h: int, refresh: bool = True) -> None:
        """Put item ``i`` on host ``h``; ``refresh=False`` leaves the host's peak, block maxima
        and busiest samples stale until :meth:`refresh` (only the full test may see it then)."""
        self.where[i] = h
        self.load[h] += self.items.demand[i]
        self.mem[h] += self.items.memory[i]
        self.count[h] += 1
        self.block_mean[h] += self.items.block_mean[i]
        if refresh:
            self._refresh(h)

    def refresh(self, hosts: IntArray) -> None:
        """Peaks, block maxima and busiest samples of ``hosts`` from their loads, all at once."""
        rows = self.load[hosts]
        if rows.shape[1]:
            self.peak[hosts] = rows.max(axis=1)
        self.block_max[hosts] = block_reduce(rows, np.maximum, self.edges)
        self.top[hosts] = top_samples(rows)

    def remove(self, i: int) -> int:
        h = int(self.where[i])
        self.where[i] = -1
        self.load[h] -= self.items.demand[i]
        self.mem[h] -= self.items.memory[i]
        self.count[h] -= 1
        self.block_mean[h] -= self.items.block_mean[i]
        if self.count[h] == 0:
            self.load[h] = 0.0
            self.mem[h] = 0.0
            self.block_mean[h] = 0.0
        self._refresh(h)
        return h

    def _refresh(self, h: int) -> None:
        row = self.load[h]
        self.peak[h] = row.max() if row.size else 0.0
        self.block_max[h] = block_reduce(row, np.maximum, self.edges)
        self.top[h] = top_samples(row)
