"""The sizing options (``--profile``, ``--envelope``, ``--size``, ``--risk``), declared once for
every planning command, and the call that applies them (exit 2 when a sizing does not fit the
history)."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from vmplan import sizing, units
from vmplan.commands import output
from vmplan.model import Inventory
from vmplan.sizing import Method, Period

ProfileOpt = Annotated[
    Period | None,
    typer.Option(
        "--profile",
        help="Size on the daily or weekly profile: per time of day (or week), the max over the "
        "periods of the history (needs two whole periods).",
        show_default=False,
    ),
]
EnvelopeOpt = Annotated[
    str | None,
    typer.Option(
        "--envelope",
        help="Size on each VM's rolling maximum over this window, e.g. 10m.",
        show_default=False,
    ),
]
SizeOpt = Annotated[
    str | None,
    typer.Option(
        "--size",
        help="Size each VM as a constant at a percentile of its history (p95) or its peak.",
        show_default=False,
    ),
]
RiskOpt = Annotated[
    str | None,
    typer.Option(
        "--risk",
        help="Choose the sizing on a held-out part of the history: the fewest hosts whose "
        "held-out host-time over the limit is at most this share (default "
        f"{sizing.DEFAULT_RISK:.2%}); 'none' plans on the history as given.",
        show_default=False,
    ),
]

_PERCENTILE = re.compile(r"^p([0-9]{1,2}(?:\.[0-9]+)?)$")


def spec(
    profile: Period | None, envelope: str | None, size: str | None, risk: str | None
) -> sizing.Spec:
    """The sizing the options ask for; a usage error (exit 2) for a malformed or clashing one."""
    explicit = profile is not None or envelope is not None or size is not None
    if explicit and risk is not None:
        output.fail("--risk chooses the sizing itself: give it or --profile/--envelope/--size")
    if size is not None and (profile is not None or envelope is not None):
        output.fail(
            "--size gives a constant series: it does not combine with --profile or --envelope"
        )
    if size is not None:
        return sizing.Spec(Method(scalar=_size(size)), None)
    if explicit:
        seconds = 0
        if envelope is not None:
            try:
                seconds = units.parse_duration(envelope)
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint="--envelope") from None
        return sizing.Spec(Method(envelope_s=seconds, profile=profile), None)
    if risk is None:
        return sizing.Spec(None, sizing.DEFAULT_RISK)
    if risk.strip().lower() == "none":
        return sizing.Spec(None, None)
    try:
        target = units.parse_percent(risk)
    except ValueError as exc:
        raise typer.BadParameter(f"{exc}, or 'none'", param_hint="--risk") from None
    return sizing.Spec(None, target)


def _size(text: str) -> float:
    value = text.strip().lower()
    if value == "peak":
        return 100.0
    m = _PERCENTILE.match(value)
    if not m or not 0 < float(m.group(1)) < 100:
        raise typer.BadParameter(
            f"expected a percentile like 'p95' (p1-p99.9) or 'peak', got {text!r}",
            param_hint="--size",
        )
    return float(m.group(1))


def apply(inv: Inventory, chosen: sizing.Spec, plan_fn: sizing.PlanFn) -> sizing.Sized:
    """:func:`vmplan.sizing.apply`, with a sizing the history cannot carry as a usage error."""
    try:
        return sizing.apply(inv, chosen, plan_fn)
    except sizing.SizingError as exc:
        output.fail(str(exc))
