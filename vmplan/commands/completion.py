"""Shell completion beyond what typer gives every option: host names for ``evacuate HOST``.

The shell runs ``vmplan`` with ``_VMPLAN_COMPLETE=complete_bash`` (zsh, fish: ``complete_zsh``,
``complete_fish``) at every Tab; typer calls :func:`host_names` with what is typed so far. It reads
only the ``hosts`` of the inventory the command would use (``-i`` when already typed, else
``$VMPLAN_INVENTORY``, else ``inventory.yaml`` or ``vmplan.yaml`` here), never the CPU series, so
a Tab stays quick on a large fleet; an inventory that cannot be read completes nothing, silently.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
import yaml

from vmplan.commands import inputs, options
from vmplan.render.escape import printable


def host_names(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """``(name, "32 cores, 384GiB")`` for every host starting with ``incomplete`` and not named
    yet, in inventory order."""
    given = ctx.params.get("inventory") or None
    named = set(ctx.params.get("hosts") or ())
    paths = inputs.discover(given, os.environ.get(options.ENV), Path.cwd())
    out: dict[str, str] = {}
    for path in paths:
        for host in _hosts(path):
            name = host.get("name")
            if isinstance(name, str) and name.startswith(incomplete) and name not in named:
                out.setdefault(name, _about(host))
    return list(out.items())


def _hosts(path: Path) -> list[dict[str, Any]]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    hosts = doc.get("hosts") if isinstance(doc, dict) else None
    return [h for h in hosts if isinstance(h, dict)] if isinstance(hosts, list) else []


def _about(host: dict[str, Any]) -> str:
    cores, memory = host.get("cpus"), host.get("memory")
    parts = [f"{cores} cores" if cores is not None else "", str(memory or "")]
    text = ", ".join(p for p in parts if p)
    return printable(text + (" (maintenance)" if host.get("maintenance") else ""))
