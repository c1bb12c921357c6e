"""One colour per VM across the whole report, so a VM can be followed from "now" to "after".

A VM's colour is a stable hash of its name (BLAKE2s, not Python's salted ``hash``) onto
:data:`PALETTE`: Okabe and Ito's colour-blind-safe hues, each solid and as a half tint (mixed
half-and-half with white), twelve slots in all. Vermillion is kept for "over the limit" and grey for
"other". Two VMs on one host may share a slot; the legend names every coloured layer.
"""

from __future__ import annotations

import hashlib

#: Okabe & Ito's hues without vermillion (the alert colour) and black (the ink).
HUES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442")
OTHER = "#BBBBBB"
ALERT = "#D55E00"


def _tint(colour: str) -> str:
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{(c + 255) // 2:02X}" for c in rgb)


PALETTE = HUES + tuple(_tint(c) for c in HUES)


def slot(name: str) -> int:
    """The palette slot of the VM called ``name``: the same in every chart, every run."""
    digest = hashlib.blake2s(name.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big") % len(PALETTE)
