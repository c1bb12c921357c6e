"""The vmplan command line: the typer app, its commands, and the one place exit codes are decided.

Exit codes: 0 success; 1 findings (check) or no feasible plan (pack, evacuate), or stdout closed
by its reader before everything was written (as click does); 2 invalid input or usage, or output
that cannot be written; 70 an internal error (a bug: please report it).
"""

from __future__ import annotations

import contextlib
import os
import sys

import typer

from vmplan import __version__
from vmplan.commands import check, evacuate, import_, pack, report, schema

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
app.add_typer(import_.app, name="import")


def main() -> None:
    """Console-script entry point: run the app, then leave at once with its exit code.

    The work is done and every output file closed by then, so the interpreter's teardown is
    skipped: freeing the objects of a 10,000-VM plan one by one took about 0.3 s.
    """
    code = run()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader has gone (``vmplan ... | head``): nothing left to say
        code = code or 1
    except OSError as exc:  # e.g. the disk under ``> plan.json`` is full
        sys.stderr.write(f"vmplan: cannot write the output: {exc.strerror}\n")
        code = 2
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    os._exit(code)


def run() -> int:
    """The app's exit code; an unexpected exception is a bug, not a finding."""
    try:
        app()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        sys.stderr.write(f"{exc.code}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("vmplan: interrupted\n")
        return 130
    except Exception as exc:
        sys.stderr.write(
            f"vmplan: internal error ({type(exc).__name__}: {exc}). This is a bug in vmplan "
            f"{__version__}; please report it with the command line and the input files.\n"
        )
        return EXIT_BUG
    return 0
