"""Quoting names for the shells the scripts are written in, and text for their comments.

A name from an inventory is data: whatever it holds (spaces, quotes, ``$(...)``, backticks, a
leading dash, a newline, any Unicode) it must reach the tool as one argument, unchanged, and never
be run or read as an option. Single quotes do that in both shells:

- bash: inside ``'...'`` nothing is special but ``'`` itself, written ``'\\''`` (close, an escaped
  quote, reopen). A newline inside the quotes is part of the word.
- PowerShell: inside ``'...'`` nothing is special but the single quote, written twice; PowerShell
  also takes the typographic quotes U+2018, U+2019, U+201A and U+201B as single quotes, so each of
  them is doubled too (about_Quoting_Rules). ``$``, backticks and newlines stay literal.

NUL cannot be passed to a program in an argument at all, so a name holding one is refused.
"""

from __future__ import annotations

import unicodedata

#: Characters PowerShell's tokenizer takes as a single quote.
POWERSHELL_SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b")


def bash(word: str) -> str:
    """``word`` as one bash word, single-quoted unless it is plainly safe."""
    _no_nul(word)
    safe = all(c.isascii() and (c.isalnum() or c in "@%+=:,./_-") for c in word)
    if word and safe and not word.startswith("-"):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def powershell(word: str) -> str:
    """``word`` as a PowerShell single-quoted string literal (always quoted)."""
    _no_nul(word)
    return "'" + "".join(c * 2 if c in POWERSHELL_SINGLE_QUOTES else c for c in word) + "'"


def comment(text: str) -> str:
    """``text`` safe on one comment line: control and line-separator characters escaped."""
    out = []
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cf") and c != "\t":
            out.append(f"\\u{ord(c):04x}" if ord(c) > 0xFF else f"\\x{ord(c):02x}")
        else:
            out.append(c)
    return "".join(out)


def _no_nul(word: str) -> None:
    if "\0" in word:
        raise ValueError(f"{word!r} holds a NUL character, which no program argument can carry")
