"""An inventory -> one sub-inventory per cluster, each on its own rows of the demand matrix.

Clusters come in the order their first host is written. A cluster's VMs are those on its hosts
today. When they are one run of rows (one file or one block per cluster, the usual case), the
sub-inventory's demand is a read-only view of the whole matrix; otherwise its rows are taken
with one ``np.take``. An inventory of one cluster, not filtered, is its own only part, so a fleet
without clusters is planned exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vmplan.model import FloatArray, IntArray, Inventory


class UnknownCluster(ValueError):
    """``--cluster`` names a cluster the inventory does not have."""


@dataclass(frozen=True, slots=True, eq=False)
class Part:
    """One cluster: its name, its hosts' and VMs' indices in the whole inventory, and its own
    inventory (host ``k`` of ``inventory`` is ``hosts[k]`` of the whole, VM ``k`` is ``vms[k]``)."""

    name: str
    hosts: IntArray
    vms: IntArray
    inventory: Inventory


def cluster_names(inv: Inventory) -> tuple[str, ...]:
    """The clusters of an inventory, in the order their first host is written."""
    return tuple(dict.fromkeys(h.cluster for h in inv.hosts))


def split(inv: Inventory, only: Sequence[str] = ()) -> tuple[Part, ...]:
    """The inventory's clusters (those named in ``only``, when given) as parts.

    Raises :class:`UnknownCluster` for a name in ``only`` that no host carries."""
    names = cluster_names(inv)
    for name in only:
        if name not in names:
            raise UnknownCluster(name)
    chosen = [n for n in names if not only or n in only]
    if len(names) == 1 and chosen:
        every_host = np.arange(len(inv.hosts), dtype=np.int64)
        return (Part(names[0], every_host, np.arange(len(inv.vms), dtype=np.int64), inv),)
    cluster_of_host = np.array([names.index(h.cluster) for h in inv.hosts], dtype=np.int64)
    cluster_of_vm = cluster_of_host[inv.current]
    return tuple(_part(inv, names.index(n), n, cluster_of_host, cluster_of_vm) for n in chosen)


def _part(
    inv: Inventory, k: int, name: str, cluster_of_host: IntArray, cluster_of_vm: IntArray
) -> Part:
    hosts = np.flatnonzero(cluster_of_host == k).astype(np.int64)
    vms = np.flatnonzero(cluster_of_vm == k).astype(np.int64)
    vm_names = {inv.vms[v].name for v in vms.tolist()}
    rules = tuple(r for r in inv.rules if r.vms and r.vms[0] in vm_names)
    sub = Inventory(
        tuple(inv.hosts[h] for h in hosts.tolist()),
        tuple(inv.vms[v] for v in vms.tolist()),
        rules,
        rows(inv.demand, vms),
        inv.interval_s,
        inv.start,
        inv.files,
    )
    return Part(name, hosts, vms, sub)


def rows(matrix: FloatArray, index: IntArray) -> FloatArray:
    """The rows ``index`` of ``matrix``: a view when they are consecutive, else a copy."""
    if index.size and int(index[-1]) - int(index[0]) + 1 == index.size:
        return matrix[int(index[0]) : int(index[-1]) + 1]
    return np.take(matrix, index, axis=0)


def chosen(inv: Inventory, only: Sequence[str]) -> tuple[IntArray, IntArray]:
    """The indices, ascending, of the hosts and of the VMs of the clusters named in ``only``
    (every one when ``only`` is empty).

    Raises :class:`UnknownCluster` for a name that no host carries."""
    parts = split(inv, only)
    hosts = np.sort(np.concatenate([p.hosts for p in parts]))
    vms = np.sort(np.concatenate([p.vms for p in parts]))
    return hosts, vms


def restrict(inv: Inventory, only: Sequence[str]) -> Inventory:
    """The inventory of the clusters named in ``only`` alone (all of it when ``only`` is empty
    or names every cluster): ``--cluster`` plans, shows and checks just those.

    Raises :class:`UnknownCluster` for a name that no host carries."""
    hosts, vms = chosen(inv, only)
    if hosts.size == len(inv.hosts):
        return inv
    vm_names = {inv.vms[v].name for v in vms.tolist()}
    return Inventory(
        tuple(inv.hosts[h] for h in hosts.tolist()),
        tuple(inv.vms[v] for v in vms.tolist()),
        tuple(r for r in inv.rules if r.vms and r.vms[0] in vm_names),
        rows(inv.demand, vms),
        inv.interval_s,
        inv.start,
        inv.files,
    )
