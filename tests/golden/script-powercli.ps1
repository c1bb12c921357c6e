# Written by vmplan test for PowerCLI: the pack plan below, wave by wave.
# Plan: pack: 4 -> 4 hosts, 9 migrations in 3 waves, about 1m15s
#   wave 1: 4 move(s), about 13s
#   wave 2: 3 move(s), about 25s
#   wave 3: 2 move(s), about 37s
# Planned from (sha256):
#   deb5646a2af89a7afc47c83741b42542a0e3d18f7c741b5a507341771a7514fd  inventory.yaml
# Made with: vmplan script plan.json --for powercli -i inventory.yaml
#
# The moves of a wave run in parallel (Move-VM -RunAsync); the script waits for all of them
# before the next wave and stops after a wave in which a move failed, naming it. Before each
# move it looks up the VM's host: on its destination (or further along the plan) the move is
# skipped, so a rerun resumes; anywhere but the expected source it stops, because the fleet
# changed since planning. Run with -WhatIf to print each command with its wave and expected
# duration instead. Connect-VIServer first.
[CmdletBinding(SupportsShouldProcess = $true)]
param()
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3

$Extra = ''
$MoveCount = 9
$Waves = @(
    @{ Wave = 1; Duration = '13s'; Moves = @(
        @{ VM = 'web 01'; From = 'esx 01'; To = '-esx02'; Later = @(); Duration = '10s' }
        @{ VM = 'o''brien'; From = '-esx02'; To = 'esx''03'; Later = @('esx 01'); Duration = '11s' }  # temporary stop
        @{ VM = '$(touch PWNED)'; From = 'esx''03'; To = '$(touch PWNED)-04'; Later = @(); Duration = '12s' }
        @{ VM = '`touch PWNED`'; From = '$(touch PWNED)-04'; To = 'esx 01'; Later = @(); Duration = '13s' }
    ) }
    @{ Wave = 2; Duration = '25s'; Moves = @(
        @{ VM = 'o''brien'; From = 'esx''03'; To = 'esx 01'; Later = @(); Duration = '21s' }
        @{ VM = '--force'; From = 'esx 01'; To = 'esx''03'; Later = @(); Duration = '24s' }
        @{ VM = 'line
break'; From = '-esx02'; To = '$(touch PWNED)-04'; Later = @(); Duration = '25s' }
    ) }
    @{ Wave = 3; Duration = '37s'; Moves = @(
        @{ VM = 'ünïcødé 💾 名前'; From = 'esx''03'; To = '-esx02'; Later = @(); Duration = '36s' }
        @{ VM = 'say "hi"; rm -rf ~'; From = '$(touch PWNED)-04'; To = '-esx02'; Later = @(); Duration = '37s' }
    ) }
)

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
            $task = Move-VM -VM $vm -Destination $destination -RunAsync -Confirm:$false
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
