"""A VM that fits on no host at all: too many vCPUs, too much memory, a peak no host can take."""

from __future__ import annotations

import numpy as np

from vmplan.constraints import eligibility
from vmplan.engine.explain import alone
from vmplan.model import IntArray, Inventory
from vmplan.problems import Problem

ID = "vm-fits-nowhere"


def check(inv: Inventory, placement: IntArray) -> list[Problem]:
    elig = eligibility(inv)
    out = []
    for v in np.flatnonzero(~elig.allowed.any(axis=1)):
        vm = inv.vms[v]
        out.append(
            Problem.at(
                vm.where,
                f"vms[{vm.name}]",
                f"VM {vm.name} fits on no host: {'; '.join(alone(inv, elig, int(v)))}",
                ID,
            )
        )
    return out
