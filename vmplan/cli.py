"""The vmplan command line: the typer app, and the one place where exit codes are decided.

Every command returns an :class:`~vmplan.commands.outcome.Outcome` (or stops early with one, once
it has said why); this module maps it to the exit code:

- 0 success; 1 findings (check), no feasible plan (pack, evacuate), or stdout closed by its reader
  before everything was written (as click does); 2 invalid input or usage, or output that cannot
  be written;
- 130 interrupted (Ctrl-C), 143 terminated (SIGTERM): nothing was written;
- 70 an internal error (a bug: one line asking for a report, never a traceback).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import typer

from vmplan import __version__
from vmplan.commands import apply, backtest, check, evacuate, import_, pack, report, schema, script
from vmplan.commands.outcome import Outcome, Stop

EXIT_CODES = {Outcome.OK: 0, Outcome.FINDINGS: 1, Outcome.INVALID: 2}
EXIT_BUG = 70
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + signal.SIGTERM

app = typer.Typer(
    name="vmplan",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
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
        False,
        "--version",
        metavar="",
        callback=_version,
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """Plan consolidation and maintenance of virtualised server fleets."""


def _exits(command: Callable[..., Outcome]) -> Callable[..., None]:
    """The command, ending with the exit code of its outcome (typer reads its signature)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            outcome = command(*args, **kwargs)
        except Stop as stop:
            outcome = stop.outcome
        raise typer.Exit(EXIT_CODES[outcome])

    return run


def _register(name: str, module: Any) -> None:
    command = getattr(module, name)
    summary = (command.__doc__ or "").strip().splitlines()[0]  # whole, not cut at 45 characters
    app.command(name, epilog=getattr(module, "EPILOG", None), short_help=summary)(_exits(command))


for _name, _module in (
    ("apply", apply),
    ("backtest", backtest),
    ("check", check),
    ("evacuate", evacuate),
    ("pack", pack),
    ("report", report),
    ("schema", schema),
    ("script", script),
):
    _register(_name, _module)

_sources = typer.Typer(no_args_is_help=True, help=import_.HELP)
for _name, _command in import_.COMMANDS.items():
    _summary = (_command.__doc__ or "").strip().splitlines()[0]
    _sources.command(_name, short_help=_summary)(_exits(_command))
app.add_typer(_sources, name="import")


class _Closed(io.TextIOBase):
    """Stands for a standard stream that was closed before vmplan started (``>&-``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        raise OSError(errno.EBADF, f"{self.name} is closed")


class _Signalled(BaseException):
    """SIGINT or SIGTERM, raised where the program is so that temporary files are removed on the
    way out (click turns a KeyboardInterrupt into its own exit, so vmplan handles both itself)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise _Signalled(signum)


def main() -> None:
    """Console-script entry point: run the app, then leave at once with its exit code.

    The work is done and every output file closed by then, so the interpreter's teardown is
    skipped: freeing the objects of a 10,000-VM plan one by one took about 0.3 s.
    """
    if sys.stdout is None:
        sys.stdout = _Closed("stdout")
    if sys.stderr is None:  # diagnostics have nowhere to go: the product and exit code still do
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # e.g. under nohup or in background
            signal.signal(signum, _on_signal)
    code = run()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader has gone (``vmplan ... | head``): nothing left to say
        code = code or 1
    except OSError as exc:  # e.g. the disk under ``> plan.json`` is full
        _say(f"vmplan: cannot write the output: {exc.strerror}\n")
        code = 2
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    pools = sys.modules.get("multiprocessing.util")
    if pools is not None:  # what the interpreter's exit does: the semaphores of the process
        # pools --jobs used are unlinked, or the resource tracker warns of them once vmplan has
        # gone (when a signal left a pool's queues to the garbage collector)
        pools._run_finalizers(0)
    os._exit(code)


def _say(text: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(text)


def run() -> int:
    """The app's exit code; an unexpected exception is a bug, not a finding."""
    try:
        app()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        _say(f"{exc.code}\n")
        return 1
    except (KeyboardInterrupt, _Signalled) as exc:
        if isinstance(exc, _Signalled) and exc.signum == signal.SIGTERM:
            _say("vmplan: terminated; nothing was written\n")
            return EXIT_TERMINATED
        _say("vmplan: interrupted; nothing was written\n")
        return EXIT_INTERRUPTED
    except Exception as exc:
        _say(
            f"vmplan: internal error ({type(exc).__name__}: {exc}). This is a bug in vmplan "
            f"{__version__}; please report it with the command line and the input files.\n"
        )
        return EXIT_BUG
    return 0
