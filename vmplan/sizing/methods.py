"""A sizing method: which transforms turn a VM's history into the series a plan is sized on."""

from __future__ import annotations

from dataclasses import dataclass

from vmplan.model import Inventory
from vmplan.sizing import transforms
from vmplan.sizing.transforms import Period

_PROFILE_LABEL = {Period.DAY: "daily profile", Period.WEEK: "weekly profile"}


@dataclass(frozen=True, slots=True)
class Method:
    """Applied in this order: envelope, then profile (or scalar), then headroom.

    ``envelope_s`` 0 means none; ``scalar`` is a percentile (0-100) or 100 for the peak, and
    excludes a profile and an envelope; ``headroom`` lowers every CPU limit by that fraction.
    """

    envelope_s: int = 0
    profile: Period | None = None
    scalar: float | None = None
    headroom: float = 0.0

    @property
    def label(self) -> str:
        """``daily profile, envelope 10m, +5 points``; ``history as given``; ``p95``; ``peak``."""
        parts = []
        if self.scalar is not None:
            parts.append("peak" if self.scalar >= 100 else f"p{self.scalar:g}")
        if self.profile is not None:
            parts.append(_PROFILE_LABEL[self.profile])
        if self.envelope_s:
            parts.append(f"envelope {_duration(self.envelope_s)}")
        if self.headroom:
            parts.append(f"+{self.headroom * 100:g} points")
        return ", ".join(parts) or "history as given"

    def apply(self, inv: Inventory) -> Inventory:
        """The inventory to plan on (raises :class:`~.transforms.SizingError` when the history
        cannot carry it)."""
        out = inv
        if self.scalar is not None:
            out = transforms.scalar(out, None if self.scalar >= 100 else self.scalar)
        else:
            if self.envelope_s:
                n = transforms.envelope_samples(self.envelope_s, inv.interval_s)
                out = transforms.envelope(out, n)
            if self.profile is not None:
                out = transforms.profile(out, self.profile)
        if self.headroom:
            out = transforms.headroom(out, self.headroom)
        return out

    def fits_history(self, inv: Inventory) -> bool:
        """Whether the history is long enough for this method (a profile needs two periods)."""
        if self.profile is None:
            return True
        per = self.profile.seconds
        return per % inv.interval_s == 0 and inv.n_samples >= 2 * (per // inv.interval_s)


AS_GIVEN = Method()


def _duration(seconds: int) -> str:
    """``10m``, ``1h``, ``90s``: the way the option is written."""
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
