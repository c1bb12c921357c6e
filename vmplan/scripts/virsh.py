"""libvirt: ``virsh -c SOURCE migrate --live --persistent --undefinesource -- VM DEST``.

Every host is reached by its connection URI, made from the ``--uri`` template (default
``qemu+ssh://{host}/system``); the script keeps them in one table. libvirt cannot say where else
a domain runs, so the check asks the destination (and the VM's later stops) and the source with
``virsh domstate``: running or paused there counts as there. virsh ends options at ``--``.
"""

from __future__ import annotations

from vmplan.model import Inventory
from vmplan.scripts import bash
from vmplan.scripts.steps import ScriptOptions, Steps

TOOL = "virsh"
DEFAULT_URI = "qemu+ssh://{host}/system"


def render(steps: Steps, inv: Inventory, options: ScriptOptions) -> str:
    del inv
    template = options.uri or DEFAULT_URI
    extra = bash.words(options.extra)
    table = bash.host_table("uri", steps.hosts, template)
    definitions = f"""
# the libvirt connection URI of every host the plan touches
{table}

# running_on HOST VM: the VM runs (or is paused) under HOST's libvirt
running_on() {{
  local state
  state=$(virsh -c "${{uri[$1]}}" domstate -- "$2" 2>/dev/null) || return 1
  [[ $state == running* || $state == paused* ]]
}}

locate() {{
  local key=$1 from=$2 host
  shift 2
  for host in "$@"; do
    if running_on "$host" "$key"; then
      echo already
      return 0
    fi
  done
  if running_on "$from" "$key"; then
    echo source
  else
    echo "elsewhere: running neither on ${{from@Q}} nor where the plan takes it"
  fi
}}

# migration VM FROM TO: the command that moves VM to TO
migration() {{
  cmd=(virsh -c "${{uri[$2]}}" migrate --live --persistent --undefinesource{extra} -- "$1" "${{uri[$3]}}")
}}
"""
    return bash.render(steps, options, bash.BashParts(TOOL, definitions, bash.by_name(steps)))
