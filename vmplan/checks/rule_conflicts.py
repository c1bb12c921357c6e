"""Rules that no placement can keep, whatever the current one is.

- an affinity group that no single host can hold (vCPUs, memory, combined CPU at some sample,
  pins of its members);
- an anti-affinity rule with more VMs than hosts they could spread over (a bipartite matching);
- a pin rule whose hosts are all in maintenance;
- two VMs that one rule keeps together and another keeps apart.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from vmplan.constraints import cpu_fits, eligibility, memory_fits
from vmplan.model import IntArray, Inventory, Rule, RuleKind
from vmplan.problems import Problem
from vmplan.units import plural

ID = "rule-conflict"


def check(inv: Inventory, placement: IntArray) -> list[Problem]:
    allowed = eligibility(inv).allowed
    out: list[Problem] = []

    def report(rule: Rule, message: str) -> None:
        out.append(Problem.at(rule.where, rule.name, message, ID))

    apart: dict[frozenset[str], Rule] = {}
    for rule in inv.rules:
        idx = np.array([inv.vm_index[v] for v in rule.vms])
        if rule.kind is RuleKind.PIN:
            if all(inv.hosts[inv.host_index[h]].maintenance for h in rule.hosts):
                report(rule, f"pin rule allows only hosts in maintenance ({', '.join(rule.hosts)})")
        elif rule.kind is RuleKind.AFFINITY:
            total = inv.demand[idx].sum(axis=0)
            fits = allowed[idx].all(axis=0)
            fits &= cpu_fits(total[None, :], inv.cpu_cap[:, None]).all(axis=1)
            fits &= memory_fits(inv.memory[idx].sum(), inv.mem_cap)
            if not fits.any():
                report(
                    rule,
                    f"affinity group of {len(idx)} VMs fits on no single host (combined CPU peak "
                    f"{total.max():.1f} cores, memory, vCPUs or pins of its members)",
                )
        else:
            for pair in combinations(sorted(rule.vms), 2):
                apart.setdefault(frozenset(pair), rule)
            from scipy import sparse  # loaded only for inventories with anti-affinity rules
            from scipy.sparse.csgraph import maximum_bipartite_matching

            graph = sparse.csr_matrix(allowed[idx].astype(np.int8))
            matched = maximum_bipartite_matching(graph, perm_type="column")
            if (matched < 0).any():
                report(
                    rule,
                    f"anti-affinity rule spreads {len(idx)} VMs but they can use only "
                    f"{plural(int((matched >= 0).sum()), 'distinct host')}",
                )
    for rule in inv.rules:
        if rule.kind is RuleKind.AFFINITY:
            for pair in combinations(sorted(rule.vms), 2):
                other = apart.get(frozenset(pair))
                if other is not None:
                    report(
                        rule,
                        f"keeps {pair[0]} and {pair[1]} together, but {other.name} keeps them apart",
                    )
                    break
    return out
