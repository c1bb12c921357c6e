"""OpenStack: ``openstack server migrate --live-migration --host DEST --wait -- VM``, checked with
``openstack server show``.

The compute host a server runs on is its ``OS-EXT-SRV-ATTR:host`` field (admin credentials show
it). ``--wait`` makes each move last until the migration ends, so a wave waits for real; the
client's argparse ends options at ``--``.
"""

from __future__ import annotations

from vmplan.model import Inventory
from vmplan.scripts import bash
from vmplan.scripts.steps import ScriptOptions, Steps

TOOL = "openstack"


def render(steps: Steps, inv: Inventory, options: ScriptOptions) -> str:
    del inv
    extra = bash.words(options.extra)
    definitions = f"""
# where VM: the compute host OpenStack says the server runs on
where() {{
  openstack server show -f value -c OS-EXT-SRV-ATTR:host -- "$1"
}}
{bash.locate_from_where().strip()}

# migration VM FROM TO: the command that moves VM to TO
migration() {{
  cmd=(openstack server migrate --live-migration "--host=$3" --wait{extra} -- "$1")
}}
"""
    return bash.render(steps, options, bash.BashParts(TOOL, definitions, bash.by_name(steps)))
