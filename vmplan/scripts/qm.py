"""Proxmox VE: ``qm migrate VMID DEST --online``, checked with ``pvesh get /cluster/resources``.

qm addresses a VM by its numeric id: taken from ``--ids`` (a mapping of VM name to id) when given
there, else from a name that is an id (``123``, ``vm-123``, ``vm123``); any other VM the plan moves
is an error at its place in the inventory. ``qm migrate`` acts on VMs of the node it runs on:
with ``--uri 'root@{host}'`` each migration runs on its source node through ``ssh`` (the words
then pass a remote shell, which is safe because ids are numbers and node names are checked to be
host names), without it the script must run on the source node. The check reads every VM's node
from the cluster-wide ``pvesh`` listing (no jq needed: node names cannot hold quotes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from vmplan.model import Inventory
from vmplan.problems import InputError, Problem
from vmplan.scripts import bash
from vmplan.scripts.steps import ScriptOptions, Steps

TOOL = "qm"
NAME_ID = re.compile(r"(?:vm-?)?([1-9][0-9]{0,8})", re.IGNORECASE)
NODE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,61}[A-Za-z0-9])?")


def vm_ids(steps: Steps, inv: Inventory, given: Mapping[str, int]) -> dict[str, str]:
    """The id of every VM the plan moves; :class:`InputError` for each one without."""
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for wave in steps.waves:
        for s in wave:
            if s.vm in out:
                continue
            named = NAME_ID.fullmatch(s.vm)
            if s.vm in given:
                out[s.vm] = str(given[s.vm])
            elif named:
                out[s.vm] = named.group(1)
            else:
                v = inv.vm_index[s.vm]
                problems.append(
                    Problem.at(
                        inv.vms[v].where,
                        f"vms[{v}].name",
                        f"qm needs the numeric id of VM {s.vm!r}: name it like 'vm-123' or give "
                        "the ids with --ids FILE (a YAML mapping of VM name to id)",
                        "script",
                    )
                )
    for host in steps.hosts:
        if not NODE_NAME.fullmatch(host):
            h = inv.host_index[host]
            problems.append(
                Problem.at(
                    inv.hosts[h].where,
                    f"hosts[{h}].name",
                    f"{host!r} is not a Proxmox node name (letters, digits, '.' and '-')",
                    "script",
                )
            )
    if problems:
        raise InputError(problems)
    return out


WHERE = r"""
# where VMID: the node the cluster says the VM is on
where() {
  pvesh get /cluster/resources --type vm --output-format json \
    | tr '{' '\n' \
    | sed -n "/\"vmid\": *\"\{0,1\}$1\"\{0,1\}[,}]/s/.*\"node\": *\"\([^\"]*\)\".*/\1/p"
}
"""


def render(steps: Steps, inv: Inventory, options: ScriptOptions) -> str:
    keys = vm_ids(steps, inv, options.ids)
    if options.uri:
        # the words reach a remote shell: quote each once more for it
        extra = bash.words(bash.q(w) for w in options.extra)
        table = bash.host_table("node", steps.hosts, options.uri)
        run = f"""
# the ssh destination of every node the plan touches (qm works on its own node's VMs)
{table}

# migration VMID FROM TO: qm on the source node moves VMID to TO
migration() {{
  cmd=(ssh -- "${{node[$2]}}" qm migrate "$1" "$3" --online{extra})
}}
"""
    else:
        extra = bash.words(options.extra)
        run = f"""
# migration VMID FROM TO: the command that moves VMID to TO (run this on the source node)
migration() {{
  cmd=(qm migrate "$1" "$3" --online{extra})
}}
"""
    definitions = WHERE + bash.locate_from_where() + run
    return bash.render(steps, options, bash.BashParts(TOOL, definitions, keys))
