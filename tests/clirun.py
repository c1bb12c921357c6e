"""Running vmplan's CLI in a test: one call, its exit code asserted, its output returned."""

from __future__ import annotations

import signal
import subprocess
from typing import Any

from typer.testing import CliRunner

from vmplan.cli import app


def run(cli: CliRunner, *args: str, code: int = 0) -> str:
    """``vmplan ARGS...`` expecting exit ``code``; stdout and stderr as the runner mixes them."""
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def interruptible(cmd: list[str], **kwargs: Any) -> subprocess.Popen[str]:
    """``vmplan`` as a process that SIGINT reaches: a child inherits an ignored SIGINT (and vmplan
    then keeps ignoring it, as under nohup), and this process may ignore it (started with ``&``
    from a script, or by a test before), so it handles SIGINT while the child starts."""
    ignored = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
        )
    finally:
        signal.signal(signal.SIGINT, ignored)
