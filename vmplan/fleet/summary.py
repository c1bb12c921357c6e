"""One cluster's plan, or its replay, in a few numbers: an entry of the JSON's ``clusters`` list."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from vmplan.fleet.split import cluster_names
from vmplan.model import Inventory, Plan
from vmplan.sizing import Replay


def cluster_entry(name: str, plan: Plan) -> dict[str, Any]:
    """``name, hosts_before, hosts_used, lower_bound, optimal, migrations, waves, total_seconds``
    of one cluster (its plan is on the cluster's own inventory)."""
    per_wave = Counter(m.wave for m in plan.moves)
    return {
        "name": name,
        "hosts_before": int(np.unique(plan.before).size),
        "hosts_used": int(np.unique(plan.target).size),
        "lower_bound": plan.lower_bound,
        "optimal": plan.optimal,
        "feasible": plan.feasible,
        "migrations": len(plan.moves),
        "waves": [
            {"wave": w + 1, "moves": per_wave[w + 1], "seconds": s}
            for w, s in enumerate(plan.wave_seconds())
        ],
        "total_seconds": round(plan.total_seconds, 1),
    }


def replay_by_cluster(inv: Inventory, result: Replay) -> tuple[tuple[str, Replay], ...]:
    """A replay of the whole inventory as one per cluster (in the clusters' order): each with
    the hosts of that cluster. Clusters share no VM, so each is what replaying the cluster on its
    own gives."""
    return tuple(
        (
            name,
            Replay(
                result.samples, tuple(h for h in result.hosts if inv.hosts[h.host].cluster == name)
            ),
        )
        for name in cluster_names(inv)
    )
