"""Names that deceive: ones that differ from another only by Unicode normalisation, and ones
that hold invisible or control characters. Both load (they are valid names), with a warning.

``web01`` in fullwidth letters (U+FF57 U+FF45 U+FF42) and ``web01`` are different names that
print alike; NFKC, the compatibility normalisation, maps the one onto the other. A zero-width space (U+200B), a bidi
control (U+202E turns the rest of the line around) or an escape character (C0 and C1 controls)
makes a name print as something it is not, in a terminal or a review.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from vmplan.problems import Level, Position, Problem

RULE = "names"
#: Unicode categories of characters that print as nothing or act on the terminal: controls (Cc),
#: format characters such as zero-width spaces, joiners and bidi controls (Cf), line and
#: paragraph separators (Zl, Zp).
INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})

Named = tuple[str, Position, str]  # (name, where it is written, its path like "vms[3].name")


def visible(name: str) -> str:
    """The name quoted, with every invisible or control character escaped (``'web\\u200b01'``)."""
    out = "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in INVISIBLE else c for c in name)
    return f"'{out}'"


def warnings(kind: str, names: Iterable[Named]) -> list[Problem]:
    """A warning for each name with an invisible character, and for each name that equals an
    earlier one after NFKC normalisation (``kind``: 'host' or 'VM')."""
    problems: list[Problem] = []
    first: dict[str, Named] = {}
    for named in names:
        name, where, path = named
        plain = name.isascii() and name.isprintable()  # most names: nothing to fold or to see
        odd = (
            None if plain else next((c for c in name if unicodedata.category(c) in INVISIBLE), None)
        )
        if odd is not None:
            problems.append(
                Problem.at(
                    where,
                    path,
                    f"{kind} name {visible(name)} contains the invisible or control character "
                    f"U+{ord(odd):04X} ({unicodedata.name(odd, 'a control character')}); it "
                    "prints like another name",
                    RULE,
                    Level.WARNING,
                )
            )
        folded = name if plain else unicodedata.normalize("NFKC", name)
        seen = first.setdefault(folded, named)
        if seen[0] != name:
            problems.append(
                Problem.at(
                    where,
                    path,
                    f"{kind} name {visible(name)} differs from {visible(seen[0])} "
                    f"({seen[1].file}:{seen[1].line}) only by Unicode normalisation (NFKC); they "
                    "print alike",
                    RULE,
                    Level.WARNING,
                )
            )
    return problems
