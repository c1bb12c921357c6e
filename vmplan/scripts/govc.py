"""govc (VMware vSphere): ``govc vm.migrate -host DEST -- VM``, checked with ``govc vm.info``.

``govc vm.info`` prints the host a VM runs on as its ``Host:`` line; govc parses its flags with
Go's flag package, which ends them at ``--``, so a VM called ``-force`` stays a VM. govc finds
VMs and hosts by inventory path, so names in the inventory must be vCenter's names.
"""

from __future__ import annotations

from vmplan.model import Inventory
from vmplan.scripts import bash
from vmplan.scripts.steps import ScriptOptions, Steps

TOOL = "govc"


def render(steps: Steps, inv: Inventory, options: ScriptOptions) -> str:
    del inv  # govc needs nothing beyond the names
    extra = bash.words(options.extra)
    definitions = f"""
# where VM: the host govc says the VM runs on
where() {{
  govc vm.info -- "$1" | sed -n 's/^ *Host: *//p'
}}
{bash.locate_from_where().strip()}

# migration VM FROM TO: the command that moves VM to TO
migration() {{
  cmd=(govc vm.migrate "-host=$3"{extra} -- "$1")
}}
"""
    return bash.render(steps, options, bash.BashParts(TOOL, definitions, bash.by_name(steps)))
