"""Findings and input errors as text, json or GitHub annotations.

The text form is ``FILE:LINE:COLUMN: LEVEL: PATH: message [rule]``, one per line, then a summary;
json is the documented shape ``{"command", "status", "errors", "warnings", "findings", ...}``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.text import Text

from vmplan.problems import Level, Problem


class Status(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"  # findings that are errors
    INVALID = "invalid"  # the input could not be read


def finding_dict(p: Problem) -> dict[str, Any]:
    return {
        "file": p.file,
        "line": p.line,
        "column": p.column,
        "path": p.path,
        "level": p.level.value,
        "rule": p.rule,
        "message": p.message,
    }


def counts(problems: Sequence[Problem]) -> tuple[int, int]:
    errors = sum(p.level is Level.ERROR for p in problems)
    return errors, len(problems) - errors


def summary_line(problems: Sequence[Problem], status: Status, scope: str) -> str:
    errors, warnings = counts(problems)
    if status is Status.INVALID:
        return f"invalid input: {errors} error(s), {warnings} warning(s)"
    if not problems:
        return f"ok: {scope}, no findings"
    verdict = "failed" if status is Status.FAILED else "ok"
    return f"{verdict}: {scope}, {errors} error(s), {warnings} warning(s)"


def text(console: Console, problems: Sequence[Problem], summary: str) -> None:
    for p in problems:
        style = "red" if p.level is Level.ERROR else "yellow"
        line = Text()
        place = f"{p.file}:{p.line}:{p.column}" if p.line else p.file
        line.append(f"{place}: ", style="bold")
        line.append(f"{p.level.value}: ", style=f"bold {style}")
        if p.path:
            line.append(f"{p.path}: ")
        line.append(p.message)
        line.append(f"  [{p.rule}]", style="dim")
        console.print(line, soft_wrap=True)
    console.print(Text(summary, style="bold"), soft_wrap=True)


def json_doc(
    command: str, problems: Sequence[Problem], status: Status, extra: dict[str, Any] | None = None
) -> str:
    errors, warnings = counts(problems)
    doc: dict[str, Any] = {
        "command": command,
        "status": status.value,
        "errors": errors,
        "warnings": warnings,
        "findings": [finding_dict(p) for p in problems],
    }
    doc.update(extra or {})
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github(problems: Sequence[Problem], summary: str) -> str:
    """GitHub Actions workflow commands: ``::error file=F,line=L,col=C,title=T::message``."""
    lines = []
    for p in problems:
        command = "error" if p.level is Level.ERROR else "warning"
        props = [f"file={_escape_property(p.file)}"]
        if p.line:
            props += [f"line={p.line}", f"col={p.column}"]
        props.append(f"title={_escape_property('vmplan ' + p.rule)}")
        message = f"{p.path}: {p.message}" if p.path else p.message
        lines.append(f"::{command} {','.join(props)}::{_escape_data(message)}")
    lines.append(summary)
    return "\n".join(lines) + "\n"
