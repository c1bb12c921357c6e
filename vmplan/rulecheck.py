"""Whether a placement keeps the placement rules (anti-affinity, affinity, pin).

Kept apart from the solver on purpose: the plan verifier and ``vmplan check`` both use this simple
reading of the rules, so a solver bug cannot hide a broken rule.
"""

from __future__ import annotations

from collections import Counter

from vmplan.model import IntArray, Inventory, Rule, RuleKind


def broken(inv: Inventory, rule: Rule, placement: IntArray) -> str | None:
    """Why ``placement`` breaks ``rule``, or None when it keeps it."""
    hosts = [int(placement[inv.vm_index[v]]) for v in rule.vms]
    if rule.kind is RuleKind.ANTI_AFFINITY:
        shared = [(h, n) for h, n in Counter(hosts).items() if n > 1 and h >= 0]
        if shared:
            h, _ = min(shared)
            names = [v for v, x in zip(rule.vms, hosts, strict=True) if x == h]
            return f"{', '.join(names)} share host {inv.hosts[h].name}"
    elif rule.kind is RuleKind.AFFINITY:
        if len({h for h in hosts if h >= 0}) > 1:
            where = ", ".join(
                f"{v} on {inv.hosts[h].name}"
                for v, h in zip(rule.vms, hosts, strict=True)
                if h >= 0
            )
            return f"its VMs are on different hosts ({where})"
    else:
        allowed = {inv.host_index[h] for h in rule.hosts}
        outside = [
            f"{v} on {inv.hosts[h].name}"
            for v, h in zip(rule.vms, hosts, strict=True)
            if h >= 0 and h not in allowed
        ]
        if outside:
            return f"{', '.join(outside)}, outside {', '.join(rule.hosts)}"
    return None


def broken_rules(inv: Inventory, placement: IntArray) -> list[tuple[Rule, str]]:
    return [(r, why) for r in inv.rules if (why := broken(inv, r, placement)) is not None]
