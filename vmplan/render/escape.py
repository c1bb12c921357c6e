"""Names as text a terminal shows as they are: control and invisible characters made visible.

A VM called ``"web\\x1b[2J"`` or ``"a\\nfile.yaml:1:1: error: forged"`` must neither drive the
terminal nor forge a line of output. Every name that text output prints goes through
:func:`printable`: C0 and C1 controls, DEL, bidirectional controls and zero-width characters
become ``\\xNN`` or ``\\uNNNN``. JSON, YAML, GitHub annotations and HTML escape by their own rules.
"""

from __future__ import annotations

import re

#: Controls (C0 but space, DEL, C1), zero-width and bidirectional formatting characters.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _visible(match: re.Match[str]) -> str:
    c = ord(match.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def printable(text: str) -> str:
    """``text`` with every control or invisible character written as an escape."""
    return _UNSAFE.sub(_visible, text)


def cluster_label(name: str) -> str:
    """A cluster's name as text output shows it: printable, ``(unnamed)`` for the cluster of
    hosts that name none."""
    return printable(name) or "(unnamed)"
