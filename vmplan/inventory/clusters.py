"""Reference tier, clusters: a VM belongs to its host's cluster and never leaves it.

So a rule may not name VMs of two clusters, and a pin may not name a host of another cluster
than its VMs'. Hosts without ``cluster`` form one unnamed cluster, so an inventory that names no
cluster can break neither rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from vmplan.inventory.specs import FileSpec
from vmplan.model import VM, Host
from vmplan.problems import Problem


def shown(cluster: str) -> str:
    """A cluster as messages name it."""
    return f"cluster '{cluster}'" if cluster else "the unnamed cluster"


def problems(specs: Sequence[FileSpec], hosts: Sequence[Host], vms: Sequence[VM]) -> list[Problem]:
    """Rules that span clusters, and pins to a host of another cluster; one problem per name."""
    host_cluster = {h.name: h.cluster for h in hosts}
    if len(set(host_cluster.values())) < 2:
        return []
    vm_cluster = {v.name: host_cluster[v.host] for v in vms if v.host in host_cluster}
    out: list[Problem] = []
    for spec in specs:
        for r in spec.rules:
            known = [(j, ref) for j, ref in enumerate(r.vms) if ref.value in vm_cluster]
            if not known:
                continue
            j0, first = known[0]
            home = vm_cluster[first.value]
            for j, ref in known[1:]:
                there = vm_cluster[ref.value]
                if there != home:
                    out.append(
                        Problem.at(
                            ref.where,
                            f"{r.path}.vms[{j}]",
                            f"VM '{ref.value}' is in {shown(there)}, but '{first.value}' "
                            f"(vms[{j0}]) is in {shown(home)}; a rule may not span clusters",
                            "cluster",
                        )
                    )
            for j, ref in enumerate(r.hosts):
                pinned = host_cluster.get(ref.value)
                if pinned is not None and pinned != home:
                    out.append(
                        Problem.at(
                            ref.where,
                            f"{r.path}.hosts[{j}]",
                            f"host '{ref.value}' is in {shown(pinned)}, but the rule's VMs are in "
                            f"{shown(home)}; a VM is pinned only to hosts of its own cluster",
                            "cluster",
                        )
                    )
    return out
