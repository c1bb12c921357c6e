"""A host in maintenance that still holds VMs (they must be moved off; a warning)."""

from __future__ import annotations

import numpy as np

from vmplan.model import IntArray, Inventory
from vmplan.problems import Level, Problem

ID = "maintenance-occupied"


def check(inv: Inventory, placement: IntArray) -> list[Problem]:
    counts = np.bincount(placement[placement >= 0], minlength=len(inv.hosts))
    return [
        Problem.at(
            inv.hosts[h].where,
            f"hosts[{inv.hosts[h].name}]",
            f"host {inv.hosts[h].name} is in maintenance but still holds {counts[h]} VM(s)",
            ID,
            Level.WARNING,
        )
        for h in np.flatnonzero(inv.maintenance & (counts > 0))
    ]
