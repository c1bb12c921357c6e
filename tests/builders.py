"""Build small inventories in memory for solver tests (no YAML involved)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vmplan.model import VM, Host, Inventory, Rule, RuleKind
from vmplan.problems import Position

GIB = 2**30
HERE = Position("test.yaml", 1, 1)


def inventory(
    hosts: Sequence[tuple[float, float]],
    vms: Sequence[tuple[int, float, Sequence[float], int]],
    rules: Sequence[tuple[str, Sequence[int], Sequence[int]]] = (),
    cpu_limit: float = 1.0,
    maintenance: Sequence[int] = (),
) -> Inventory:
    """``hosts``: (cores, memory GiB); ``vms``: (vcpus, memory GiB, cpu % series, host index);
    ``rules``: (kind, VM indices, host indices)."""
    hs = tuple(
        Host(
            f"h{i}",
            c,
            int(m * GIB),
            cpu_limit,
            1.0,
            i in maintenance,
            Position("test.yaml", i + 1, 1),
        )
        for i, (c, m) in enumerate(hosts)
    )
    vs = tuple(
        VM(f"v{i}", hs[h].name, vc, int(m * GIB), Position("test.yaml", 100 + i, 1))
        for i, (vc, m, _s, h) in enumerate(vms)
    )
    cpu = np.array([s for _v, _m, s, _h in vms], dtype=np.float64).reshape(len(vms), -1)
    vcpus = np.array([v for v, _m, _s, _h in vms], dtype=np.float64)
    rs = tuple(
        Rule(
            RuleKind(k),
            tuple(vs[v].name for v in vm_idx),
            tuple(hs[h].name for h in host_idx),
            f"r{n}",
            HERE,
        )
        for n, (k, vm_idx, host_idx) in enumerate(rules)
    )
    return Inventory(
        hs, vs, rs, np.ascontiguousarray(cpu * vcpus[:, None] / 100), 300, None, ("test.yaml",)
    )
