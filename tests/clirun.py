"""Running vmplan's CLI in a test: one call, its exit code asserted, its output returned."""

from __future__ import annotations

from typer.testing import CliRunner

from vmplan.cli import app


def run(cli: CliRunner, *args: str, code: int = 0) -> str:
    """``vmplan ARGS...`` expecting exit ``code``; stdout and stderr as the runner mixes them."""
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output
