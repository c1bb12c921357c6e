"""The comment at the top of every script: what the plan does, what it was made from, and how."""

from __future__ import annotations

from vmplan.scripts.quoting import comment
from vmplan.scripts.steps import ScriptOptions, Steps


def header_lines(steps: Steps, options: ScriptOptions, tool: str, how: list[str]) -> list[str]:
    """Comment text, one line each (the caller adds the comment marker)."""
    made_by = f"vmplan {options.version}".rstrip()
    lines = [
        f"Written by {made_by} for {tool}: the {steps.command} plan below, wave by wave.",
        f"Plan: {steps.summary()}",
    ]
    lines += [
        f"  wave {w[0].wave}: {len(w)} move(s), about {max(w, key=lambda s: s.seconds).duration}"
        for w in steps.waves
    ]
    if steps.freed:
        lines.append(f"Freed: {', '.join(steps.freed)}")
    if options.clusters:
        names = ", ".join(name or "(unnamed)" for name in options.clusters)
        lines.append(f"Clusters: {names} (the moves of no other cluster are in this script)")
    if len(options.clusters) > 1:  # the plan's time is the longest cluster's, not the script's
        lines += [
            "Here wave N of every cluster runs before any wave N+1, so one cluster's long moves",
            "hold up the others: for each cluster at its own pace (the plan's estimate), write a",
            "script per cluster with --cluster NAME and run them side by side.",
        ]
    lines.append("Planned from (sha256):")
    lines += [f"  {digest}  {path}" for path, digest in options.inputs] or ["  (not recorded)"]
    if options.command_line:
        lines.append(f"Made with: {options.command_line}")
    lines.append("")
    lines += how
    return [comment(line) for line in lines]
