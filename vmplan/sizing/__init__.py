"""Sizing: how each VM's history becomes the series a plan is sized on, and backtests.

The one call a planner makes is :func:`apply` (before the solver); :func:`as_json` and
:func:`summary` say how the plan was sized and what the held-out replay showed. The plan is
verified on the sized series (what it was planned on); replays report on the real series.

- :mod:`.transforms`: envelope, profile, scalar and headroom transforms of the demand matrix;
- :mod:`.methods`: a :class:`Method` is a combination of them;
- :mod:`.replay`: a placement replayed on a series (a backtest);
- :mod:`.calibrate`: choosing the method on a held-out latest part of the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vmplan.model import IntArray, Inventory
from vmplan.sizing.calibrate import (
    SAMPLE_VMS,
    Candidate,
    PlanFn,
    calibrate,
    sample_vms,
    split,
)
from vmplan.sizing.methods import AS_GIVEN, Method
from vmplan.sizing.replay import Replay, replay
from vmplan.sizing.transforms import Period, SizingError

#: The default target of calibrated sizing: held-out share of host-time over the CPU limit.
DEFAULT_RISK = 0.0001

__all__ = [
    "AS_GIVEN",
    "DEFAULT_RISK",
    "Method",
    "Period",
    "PlanFn",
    "Replay",
    "Sized",
    "SizingError",
    "Spec",
    "apply",
    "as_json",
    "replay",
    "summary",
]


@dataclass(frozen=True, slots=True)
class Spec:
    """What the user asked for: a method (explicit sizing), or calibration to a risk target, or
    neither (``--risk none``: the history as given)."""

    method: Method | None = None
    risk: float | None = DEFAULT_RISK


@dataclass(frozen=True, slots=True, eq=False)
class Sized:
    inventory: Inventory  # what the plan is made (and verified) on
    method: Method
    calibrated: bool
    risk: float | None
    holdout: Replay | None  # the chosen method's placement on the held-out part
    candidates: tuple[tuple[Candidate, bool], ...]  # (Candidate, chosen)
    notes: tuple[str, ...]
    calibration_vms: int | None = None  # VMs the candidates were planned on


def apply(inv: Inventory, spec: Spec, plan_fn: PlanFn) -> Sized:
    """The sized inventory to plan on, with how it was chosen.

    An explicit method is also tried once on the held-out part when the history allows, so every
    plan says what a replay on unseen data showed. Raises :class:`SizingError` when an explicit
    method does not fit the history.
    """
    if spec.method is None and spec.risk is None:
        return Sized(inv, AS_GIVEN, False, None, None, (), ())
    if spec.method is not None:
        sized = spec.method.apply(inv)  # raises when the history cannot carry it
        sample = sample_vms(inv, SAMPLE_VMS)
        cal = _holdout_only(sample, spec.method, plan_fn)
        return Sized(sized, spec.method, False, None, *cal, len(sample.vms))
    assert spec.risk is not None
    result = calibrate(inv, plan_fn, spec.risk)
    rows = tuple((c, c is result.chosen) for c in result.candidates)
    holdout = result.chosen.replay if result.chosen is not None else None
    return Sized(
        result.method.apply(inv),
        result.method,
        True,
        spec.risk,
        holdout,
        rows,
        result.notes,
        result.vms,
    )


def _holdout_only(
    inv: Inventory, method: Method, plan_fn: PlanFn
) -> tuple[Replay | None, tuple[tuple[Candidate, bool], ...], tuple[str, ...]]:
    holdout = split(inv)
    if holdout is None or not method.fits_history(holdout.train):
        return None, (), ("no held-out replay: the history is too short to hold a part out",)
    placement = plan_fn(method.apply(holdout.train), 1.0)
    if placement is None:
        return None, (), ("no held-out replay: no plan fits the training part",)
    result = replay(holdout.held_out, placement)
    hosts = int(np.unique(placement[placement >= 0]).size)
    note = f"held-out replay on {holdout.what}"
    return result, ((Candidate(method, hosts, result), True),), (note,)


def as_json(sized: Sized, real: Inventory, placement: IntArray) -> dict[str, Any]:
    """The plan's ``sizing`` key; ``history`` is the plan replayed on the real (unsized) series."""
    on_history = replay(real, placement)
    return {
        "sizing": {
            "method": sized.method.label,
            "calibrated": sized.calibrated,
            "risk": sized.risk,
            "calibration_vms": sized.calibration_vms,
            "planned_on": "the sized series" if sized.method != AS_GIVEN else "the history",
            "holdout": None if sized.holdout is None else sized.holdout.summary(),
            "history": on_history.summary(),
            "candidates": [c.as_json(chosen) for c, chosen in sized.candidates],
            "notes": list(sized.notes),
        },
        "optimal_for": "the sized series" if sized.method != AS_GIVEN else "the history",
    }


def summary(sized: Sized) -> str:
    """``sized on daily profile, +5 points; held-out replay: 0.000% of host-time over the limit,
    none over 100%``."""
    if sized.method == AS_GIVEN and not sized.calibrated:
        return "planned on the history as given"
    text = f"sized on {sized.method.label}"
    if sized.method.scalar is not None:
        text = f"sized on each VM's {sized.method.label}"
    h = sized.holdout
    if h is None:
        why = sized.notes[0] if sized.notes else "no held-out replay"
        return f"{text}; {why}"
    full = "none" if h.samples_over_full == 0 else str(h.samples_over_full)
    return (
        f"{text}; held-out replay: {h.time_over_limit * 100:.3f}% of host-time over the limit, "
        f"{full} over 100%"
    )
