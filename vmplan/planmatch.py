"""Does a plan start from this inventory? A plan file read back and checked move by move.

:func:`vmplan.planfile.read_plan` checks that every name in the plan exists in the inventory.
Before a plan is run (``vmplan script``) or written into the inventory (``vmplan apply``) it must
also *start* there: each VM's first migration leaves the host the inventory has it on, each later
one leaves where the one before arrived, and the last arrives where ``placement`` says. A plan
made from another inventory, or from this one before somebody moved a VM, fails here with the
position of the migration at fault.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from vmplan.model import Inventory, Plan
from vmplan.planfile import JsonPath, located, read_plan
from vmplan.problems import InputError

STALE = "the plan was made from another inventory, or the VM moved since"


def read_matching_plan(
    text: str, file: str, inv: Inventory, only: Collection[int] | None = None
) -> Plan:
    """:func:`read_plan`, then :func:`start_errors`; raises :class:`InputError` with every problem.

    With ``only`` (indices of VMs), what the plan says of the other VMs is neither read nor
    checked (see :func:`read_plan`)."""
    plan = read_plan(text, file, inv, only=only)
    if not plan.feasible:
        message = "the plan is not feasible ('feasible': false): there is nothing to run"
        raise InputError(located(text, file, [(("feasible",), False, message)]))
    errors = start_errors(json.loads(text), inv, only)
    if errors:
        raise InputError(located(text, file, errors))
    return plan


def start_errors(
    doc: dict[str, Any], inv: Inventory, only: Collection[int] | None = None
) -> list[tuple[JsonPath, bool, str]]:
    """Where the moves of a plan (already valid for ``inv``) do not chain from today's placement;
    with ``only``, of those VMs alone.

    Returns ``(path, at the key?, message)`` triples for :func:`vmplan.planfile.located`.
    """
    errors: list[tuple[JsonPath, bool, str]] = []
    chosen = range(len(inv.vms)) if only is None else only
    at = {inv.vms[v].name: inv.vms[v].host for v in chosen}
    last_wave: dict[str, int] = {}
    items = [(i, m) for i, m in enumerate(doc.get("migrations", [])) if m["vm"] in at]
    for i, move in sorted(items, key=lambda item: (item[1]["wave"], item[0])):
        vm, wave = move["vm"], move["wave"]
        if last_wave.get(vm) == wave:
            errors.append((("migrations", i, "wave"), False, f"'{vm}' moves twice in wave {wave}"))
        if move["from"] != at[vm]:
            where = inv.vms[inv.vm_index[vm]].where
            now = (
                "its previous migration leaves it on"
                if vm in last_wave
                else "the inventory has it on"
            )
            errors.append(
                (
                    ("migrations", i, "from"),
                    False,
                    f"'{vm}' starts from {move['from']}, but {now} {at[vm]} "
                    f"({where.file}:{where.line}): {STALE}",
                )
            )
        at[vm] = move["to"]
        last_wave[vm] = wave
    for vm, host in doc.get("placement", {}).items():
        if vm in at and at[vm] != host:
            errors.append(
                (
                    ("placement", vm),
                    False,
                    f"'{vm}' ends on {at[vm]} after the plan's migrations, not on {host}",
                )
            )
    return errors
