"""The vmplan command line: the typer app, its commands, and the one place exit codes are decided.

Exit codes: 0 success; 1 findings (check) or no feasible plan (pack, evacuate); 2 invalid input or
usage; 70 an internal error (a bug: please report it).
"""

from __future__ import annotations

import sys

import typer

from vmplan import __version__
from vmplan.commands import check, evacuate, pack, report, schema

EXIT_BUG = 70

app = typer.Typer(
    name="vmplan",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    add_completion=False,
    help="Consolidation and maintenance planner for virtualised server fleets, on the whole CPU "
    "time series of every VM.",
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"vmplan {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Plan consolidation and maintenance of virtualised server fleets."""


app.command("check")(check.check)
app.command("evacuate")(evacuate.evacuate)
app.command("pack")(pack.pack)
app.command("report")(report.report)
app.command("schema")(schema.schema)


def main() -> None:
    """Console-script entry point: run the app; an unexpected exception is a bug, not a finding."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("vmplan: interrupted\n")
        sys.exit(130)
    except Exception as exc:
        sys.stderr.write(
            f"vmplan: internal error ({type(exc).__name__}: {exc}). This is a bug in vmplan "
            f"{__version__}; please report it with the command line and the input files.\n"
        )
        sys.exit(EXIT_BUG)
