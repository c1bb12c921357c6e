#!/usr/bin/env bash
# Names are data: a '$' or a backtick in a quoted name is meant literally.
# shellcheck disable=SC2016
# Written by vmplan test for virsh: the pack plan below, wave by wave.
# Plan: pack: 4 -> 4 hosts, 9 migrations in 3 waves, about 1m15s
#   wave 1: 4 move(s), about 13s
#   wave 2: 3 move(s), about 25s
#   wave 3: 2 move(s), about 37s
# Planned from (sha256):
#   deb5646a2af89a7afc47c83741b42542a0e3d18f7c741b5a507341771a7514fd  inventory.yaml
# Made with: vmplan script plan.json --for virsh -i inventory.yaml
#
# The moves of a wave run in parallel; the script waits for all of them before the next wave
# and stops after a wave in which a move failed, naming it. Before each move it asks the tool
# where the VM is: on its destination (or further along the plan) the move is skipped, so a
# rerun resumes; anywhere but the expected source it stops, because the fleet changed since
# planning. DRY_RUN=1 prints each command with its wave and expected duration instead.
# Needs bash 4.4 or newer.
set -euo pipefail

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

# the libvirt connection URI of every host the plan touches
declare -A uri=(
  ['esx 01']='qemu+ssh://esx 01/system'
  ['-esx02']=qemu+ssh://-esx02/system
  ['esx'\''03']='qemu+ssh://esx'\''03/system'
  ['$(touch PWNED)-04']='qemu+ssh://$(touch PWNED)-04/system'
)

# running_on HOST VM: the VM runs (or is paused) under HOST's libvirt
running_on() {
  local state
  state=$(virsh -c "${uri[$1]}" domstate -- "$2" 2>/dev/null) || return 1
  [[ $state == running* || $state == paused* ]]
}

locate() {
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
    echo "elsewhere: running neither on ${from@Q} nor where the plan takes it"
  fi
}

# migration VM FROM TO: the command that moves VM to TO
migration() {
  cmd=(virsh -c "${uri[$2]}" migrate --live --persistent --undefinesource -- "$1" "${uri[$3]}")
}

# wave 1 of 3: 4 move(s), about 13s
say 'wave 1 of 3: 4 move(s), about 13s'
launch 1 10s 'web 01' 'web 01' 'esx 01' '-esx02'
launch 1 11s 'o'\''brien' 'o'\''brien' '-esx02' 'esx'\''03' 'esx 01'  # temporary stop
launch 1 12s '$(touch PWNED)' '$(touch PWNED)' 'esx'\''03' '$(touch PWNED)-04'
launch 1 13s '`touch PWNED`' '`touch PWNED`' '$(touch PWNED)-04' 'esx 01'
wave_end 1 3

# wave 2 of 3: 3 move(s), about 25s
say 'wave 2 of 3: 3 move(s), about 25s'
launch 2 21s 'o'\''brien' 'o'\''brien' 'esx'\''03' 'esx 01'
launch 2 24s '--force' '--force' 'esx 01' 'esx'\''03'
launch 2 25s 'line
break' 'line
break' '-esx02' '$(touch PWNED)-04'
wave_end 2 3

# wave 3 of 3: 2 move(s), about 37s
say 'wave 3 of 3: 2 move(s), about 37s'
launch 3 36s 'ünïcødé 💾 名前' 'ünïcødé 💾 名前' 'esx'\''03' '-esx02'
launch 3 37s 'say "hi"; rm -rf ~' 'say "hi"; rm -rf ~' '$(touch PWNED)-04' '-esx02'
wave_end 3 3

say 'done: 9 move(s) in 3 wave(s)'
