"""N+1: a host that could not be evacuated now (optional: ``vmplan check --evacuable``).

Every host is evacuated in turn on the full series with every rule (:func:`vmplan.evacuate.
evacuable`); each one that cannot be emptied is an error finding at the host, naming the VMs
that would have nowhere to go, the binding constraint, and what would make it fit. Like every
check it sees one cluster (:func:`vmplan.checks.run`); the finding names a named cluster.
"""

from __future__ import annotations

from vmplan.inventory.clusters import shown
from vmplan.model import IntArray, Inventory
from vmplan.problems import Problem

ID = "evacuable"
SHOWN_VMS = 3  # VMs named per finding; the rest are counted


def check(inv: Inventory, placement: IntArray) -> list[Problem]:
    from vmplan.evacuate import evacuable  # the solver (and scipy) load only for this check

    cluster = inv.hosts[0].cluster if inv.hosts else ""
    in_cluster = f" in {shown(cluster)}" if cluster else ""
    out = []
    for verdict in evacuable(inv, current=placement):
        if verdict.feasible:
            continue
        host = inv.hosts[verdict.host]
        stuck = [
            f"{inv.vms[u.vm].name}: {' / '.join(r for r in u.reasons if r not in verdict.hints)}"
            for u in verdict.unplaced[:SHOWN_VMS]
        ]
        more = len(verdict.unplaced) - SHOWN_VMS
        if more > 0:
            stuck.append(f"and {more} more VM(s)")
        message = f"host {host.name}{in_cluster} cannot be evacuated now: {'; '.join(stuck)}"
        if verdict.hints:
            message += f"; {'; '.join(verdict.hints)}"
        out.append(Problem.at(host.where, f"hosts[{host.name}]", message, ID))
    return out
