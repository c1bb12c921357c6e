"""VMware PowerCLI (PowerShell): ``Move-VM -VM VM -Destination DEST``, wave by wave.

The plan is a table of single-quoted string literals (:func:`vmplan.scripts.quoting.powershell`)
walked by one loop. VMs and hosts are found by exact, case-sensitive name (``Get-VM -Name`` takes
wildcards, so a VM called ``web[1]`` or ``db*`` would match others); the moves of a wave start
with ``-RunAsync`` after each check and ``Wait-Task`` waits for every one. ``-WhatIf`` prints each
command with its wave and expected duration. ``--extra`` words are appended to ``Move-VM`` as
written (they are PowerShell parameters such as ``-VMotionPriority High``).
"""

from __future__ import annotations

from vmplan.model import Inventory
from vmplan.scripts.header import header_lines
from vmplan.scripts.quoting import powershell as q
from vmplan.scripts.steps import ScriptOptions, Steps

TOOL = "PowerCLI"
#: Windows PowerShell 5.1 reads a script without a byte order mark as ANSI, which would garble
#: every non-ASCII name; PowerShell 7 reads it either way.
BOM = "\ufeff"

HOW = [
    "The moves of a wave run in parallel (Move-VM -RunAsync); the script waits for all of them",
    "before the next wave and stops after a wave in which a move failed, naming it. Before each",
    "move it looks up the VM's host: on its destination (or further along the plan) the move is",
    "skipped, so a rerun resumes; anywhere but the expected source it stops, because the fleet",
    "changed since planning. Run with -WhatIf to print each command with its wave and expected",
    "duration instead. Connect-VIServer first.",
]

BODY = r"""
# Quote-Literal TEXT: TEXT as a PowerShell single-quoted string, for the -WhatIf lines
function Quote-Literal([string]$Text) {
    "'" + ($Text -replace '[''\u2018\u2019\u201a\u201b]', '$0$0') + "'"
}

function Find-Exact($Items, [string]$Name, [string]$What) {
    $found = @($Items | Where-Object { $_.Name -ceq $Name })
    if ($found.Count -ne 1) {
        throw "vmplan: expected one $What named '$Name', found $($found.Count)"
    }
    $found[0]
}

$total = $Waves.Count
foreach ($wave in $Waves) {
    Write-Host ("vmplan: wave {0} of {1}: {2} move(s), about {3}" -f $wave.Wave, $total, $wave.Moves.Count, $wave.Duration)
    $started = @()
    $failed = @()
    foreach ($move in $wave.Moves) {
        $command = "Move-VM -VM {0} -Destination {1}{2}" -f (Quote-Literal $move.VM), (Quote-Literal $move.To), $Extra
        if ($WhatIfPreference) {
            Write-Output ("wave {0} (about {1}): {2}" -f $wave.Wave, $move.Duration, $command)
            continue
        }
        try {
            $vm = Find-Exact (Get-VM) $move.VM 'VM'
            $now = $vm.VMHost.Name
            if ($now -ceq $move.To -or $move.Later -ccontains $now) {
                Write-Host ("vmplan: wave {0}: '{1}' is already past '{2}': done before, skipped" -f $wave.Wave, $move.VM, $move.From)
                continue
            }
            if ($now -cne $move.From) {
                throw ("'{0}' should be on '{1}' but is on '{2}': the fleet changed since planning; plan again" -f $move.VM, $move.From, $now)
            }
            $destination = Find-Exact (Get-VMHost) $move.To 'host'
            Write-Host ("vmplan: wave {0}: moving '{1}' from '{2}' to '{3}' (about {4})" -f $wave.Wave, $move.VM, $move.From, $move.To, $move.Duration)
            $task = Move-VM -VM $vm -Destination $destination -RunAsync -Confirm:$false{EXTRA}
            $started += @{ Move = $move; Task = $task }
        } catch {
            Write-Warning ("vmplan: wave {0}: {1}" -f $wave.Wave, $_)
            $failed += $move
        }
    }
    foreach ($run in $started) {
        try {
            Wait-Task -Task $run.Task | Out-Null
        } catch {
            Write-Warning ("vmplan: wave {0}: FAILED: '{1}' from '{2}' to '{3}': {4}" -f $wave.Wave, $run.Move.VM, $run.Move.From, $run.Move.To, $_)
            $failed += $run.Move
        }
    }
    if ($failed.Count -gt 0) {
        foreach ($move in $failed) {
            Write-Warning ("vmplan: wave {0}: FAILED: '{1}' from '{2}' to '{3}'" -f $wave.Wave, $move.VM, $move.From, $move.To)
        }
        throw ("vmplan: stopped after wave {0} of {1}: {2} move(s) failed (named above). Fix the cause and run this script again: the moves already done are skipped." -f $wave.Wave, $total, $failed.Count)
    }
}
Write-Host ("vmplan: done: {0} move(s) in {1} wave(s)" -f $MoveCount, $total)
"""


def render(steps: Steps, inv: Inventory, options: ScriptOptions) -> str:
    del inv
    out = [f"# {line}".rstrip() for line in header_lines(steps, options, TOOL, HOW)]
    out += [
        "[CmdletBinding(SupportsShouldProcess = $true)]",
        "param()",
        "$ErrorActionPreference = 'Stop'",
        "Set-StrictMode -Version 3",
        "",
        f"$Extra = {q(''.join(' ' + w for w in options.extra))}",
        f"$MoveCount = {steps.moves}",
        "$Waves = @(",
    ]
    for wave in steps.waves:
        longest = max(wave, key=lambda s: s.seconds).duration
        out.append(f"    @{{ Wave = {wave[0].wave}; Duration = {q(longest)}; Moves = @(")
        for s in wave:
            later = ", ".join(q(h) for h in s.later)
            note = "  # temporary stop" if s.temporary else ""
            out.append(
                f"        @{{ VM = {q(s.vm)}; From = {q(s.source)}; To = {q(s.target)}; "
                f"Later = @({later}); Duration = {q(s.duration)} }}{note}"
            )
        out.append("    ) }")
    out.append(")")
    extra = "".join(" " + w for w in options.extra)
    return BOM + "\n".join(out) + "\n" + BODY.replace("{EXTRA}", extra)
