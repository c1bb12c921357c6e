"""The bash script every bash flavour shares: waves, checks, parallel moves, dry run, resume.

A flavour (govc, virsh, qm, openstack) supplies two bash functions and the word its commands use
for each VM (its name, or qm's numeric id):

- ``locate KEY FROM TO [LATER...]`` prints ``source`` when the VM is on FROM, ``already`` when it is
  on TO or a LATER host (the rest of its journey), else ``elsewhere: <where it is>``; it fails
  only when the tool cannot be asked.
- ``migration KEY FROM TO`` sets the array ``cmd`` to the migration command.

The shared part runs the waves in order. Within a wave every move is started in the background
after its check, then the script waits for all of them; if any failed it names each and stops, and
a rerun skips what is already done. ``DRY_RUN=1`` prints every command with its wave and expected
duration, in plan order, and asks nothing of the tool.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from vmplan.scripts import quoting
from vmplan.scripts.header import header_lines
from vmplan.scripts.steps import ScriptOptions, Steps

q = quoting.bash

HOW = [
    "The moves of a wave run in parallel; the script waits for all of them before the next wave",
    "and stops after a wave in which a move failed, naming it. Before each move it asks the tool",
    "where the VM is: on its destination (or further along the plan) the move is skipped, so a",
    "rerun resumes; anywhere but the expected source it stops, because the fleet changed since",
    "planning. DRY_RUN=1 prints each command with its wave and expected duration instead.",
    "Needs bash 4.4 or newer.",
]

COMMON = r"""
dry_run=${DRY_RUN:-0}
pids=()
labels=()

say() { printf 'vmplan: %s\n' "$*" >&2; }

# move WAVE DURATION VM KEY FROM TO [LATER...]: check where the VM is, then migrate it
move() {
  local wave=$1 duration=$2 vm=$3 key=$4 from=$5 to=$6
  shift 6
  migration "$key" "$from" "$to"
  if [[ $dry_run != 0 ]]; then
    printf 'wave %s (about %s):' "$wave" "$duration"
    printf ' %q' "${cmd[@]}"
    printf '\n'
    return 0
  fi
  local state
  if ! state=$(locate "$key" "$from" "$to" "$@"); then
    say "wave $wave: cannot tell where ${vm@Q} is (the query above failed)"
    return 1
  fi
  case $state in
    source) ;;
    already)
      say "wave $wave: ${vm@Q} is already past ${from@Q}: done before, skipped"
      return 0
      ;;
    *)
      say "wave $wave: ${vm@Q} should be on ${from@Q} but is ${state#elsewhere: }: the fleet changed since planning; plan again"
      return 3
      ;;
  esac
  say "wave $wave: moving ${vm@Q} from ${from@Q} to ${to@Q} (about $duration)"
  "${cmd[@]}"
}

# launch ARGS...: one move of the current wave, in the background (in order on a dry run)
launch() {
  if [[ $dry_run != 0 ]]; then
    move "$@"
    return
  fi
  move "$@" &
  pids+=("$!")
  labels+=("${3@Q} from ${5@Q} to ${6@Q}")
}

# wave_end WAVE WAVES: wait for every move of the wave; stop if any failed
wave_end() {
  local i failed=0
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      say "wave $1: FAILED: ${labels[$i]}"
      failed=$((failed + 1))
    fi
  done
  pids=()
  labels=()
  if ((failed)); then
    say "stopped after wave $1 of $2: $failed move(s) failed (named above). Fix the cause and run"
    say "this script again: the moves already done are skipped."
    exit 1
  fi
}
"""


@dataclass(frozen=True, slots=True)
class BashParts:
    """What a flavour adds: ``definitions`` (bash text: locate, migration, any tables) and the
    word its commands use for each VM."""

    tool: str
    definitions: str
    keys: Mapping[str, str]


def render(steps: Steps, options: ScriptOptions, parts: BashParts) -> str:
    out = [
        "#!/usr/bin/env bash",
        "# Names are data: a '$' or a backtick in a quoted name is meant literally.",
        "# shellcheck disable=SC2016",
    ]
    out += [f"# {line}".rstrip() for line in header_lines(steps, options, parts.tool, HOW)]
    out += ["set -euo pipefail", "", COMMON.strip("\n"), "", parts.definitions.strip("\n")]
    total = len(steps.waves)
    for wave in steps.waves:
        n = wave[0].wave
        longest = max(wave, key=lambda s: s.seconds).duration
        out += [
            "",
            f"# wave {n} of {total}: {len(wave)} move(s), about {longest}",
            f"say 'wave {n} of {total}: {len(wave)} move(s), about {longest}'",
        ]
        for s in wave:
            words = [str(n), s.duration, s.vm, parts.keys[s.vm], s.source, s.target, *s.later]
            note = "  # temporary stop" if s.temporary else ""
            out.append("launch " + " ".join(q(w) for w in words) + note)
        out.append(f"wave_end {n} {total}")
    out += ["", f"say 'done: {steps.moves} move(s) in {total} wave(s)'", ""]
    return "\n".join(out)


def locate_from_where() -> str:
    """``locate`` for tools that can say where a VM is (a ``where KEY`` function prints it)."""
    return r"""
locate() {
  local key=$1 from=$2 now host
  shift 2
  now=$(where "$key") || return 1
  for host in "$@"; do
    if [[ $now == "$host" ]]; then
      echo already
      return 0
    fi
  done
  if [[ $now == "$from" ]]; then
    echo source
  elif [[ -z $now ]]; then
    echo "elsewhere: not found"
  else
    echo "elsewhere: on ${now@Q}"
  fi
}
"""


def words(extra: Iterable[str]) -> str:
    """Extra words for a command line, each quoted, each after a space."""
    return "".join(f" {q(w)}" for w in extra)


def by_name(steps: Steps) -> dict[str, str]:
    """Each moved VM's word for the tool: its name."""
    return {s.vm: s.vm for wave in steps.waves for s in wave}


def host_table(variable: str, hosts: Iterable[str], template: str) -> str:
    """``declare -A VARIABLE=(...)``: ``template`` with ``{host}`` filled in, for every host."""
    rows = "".join(f"  [{q(h)}]={q(template.replace('{host}', h))}\n" for h in hosts)
    return f"declare -A {variable}=(\n{rows})"
