"""What the commands share: option aliases, output formats, consoles, loading, atomic writes.

This is CLI territory: it reads the environment, decides where text goes and maps outcomes to
exit codes (0 success, 1 findings or no feasible plan, 2 invalid input or usage).
"""

from __future__ import annotations

import contextlib
import enum
import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from vmplan import units
from vmplan.inventory import Loaded, load
from vmplan.problems import InputError, Problem
from vmplan.render import problems as render_problems

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INVALID = 2


class CheckFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


class PlanFormat(enum.StrEnum):
    TABLE = "table"  # rich tables, coloured on a terminal
    TEXT = "text"  # the same tables, never coloured
    JSON = "json"
    YAML = "yaml"


def _percent(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return units.parse_percent(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _bandwidth(value: str) -> float:
    try:
        return units.parse_bandwidth(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


InventoryArgs = Annotated[
    list[Path],
    typer.Argument(help="Inventory files (YAML); several files merge.", show_default=False),
]
CpuLimitOpt = Annotated[
    str | None,
    typer.Option(
        "--cpu-limit", help="Override every host's CPU limit, e.g. 80%.", show_default=False
    ),
]
MemoryLimitOpt = Annotated[
    str | None,
    typer.Option(
        "--memory-limit", help="Override every host's memory limit, e.g. 95%.", show_default=False
    ),
]
ParallelOpt = Annotated[
    int,
    typer.Option("--parallel", min=1, help="Concurrent migrations per host and wave (in + out)."),
]
BandwidthOpt = Annotated[
    str,
    typer.Option("--bandwidth", help="Migration network bandwidth, for duration estimates."),
]
TimeLimitOpt = Annotated[
    float,
    typer.Option("--time-limit", min=0.0, help="Solver time budget in seconds."),
]
PlanFormatOpt = Annotated[
    PlanFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format (default: table on a terminal, text when piped or written to a file).",
        show_default=False,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "-o", "--output", help="Write the result to this file (atomically) instead of stdout."
    ),
]


def parse_percent_option(value: str | None, name: str) -> float | None:
    try:
        return _percent(value)
    except typer.BadParameter as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from None


def parse_bandwidth_option(value: str) -> float:
    try:
        return _bandwidth(value)
    except typer.BadParameter as exc:
        raise typer.BadParameter(str(exc), param_hint="--bandwidth") from None


def stdout_console() -> Console:
    """Colour only on a terminal (rich honours NO_COLOR); wide lines when piped."""
    tty = sys.stdout.isatty()
    return Console(file=sys.stdout, highlight=False, width=None if tty else 160, soft_wrap=False)


def stderr_console() -> Console:
    tty = sys.stderr.isatty()
    return Console(file=sys.stderr, highlight=False, width=None if tty else 160, stderr=True)


def on_github() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def load_or_exit(paths: list[Path], fmt: str, command: str, text_console: Console) -> Loaded:
    """Load the inventory; on invalid input render every problem in ``fmt`` and exit 2.

    json and github go to stdout (tools read them there); text goes to ``text_console``.
    """
    try:
        return load(paths)
    except InputError as exc:
        status = render_problems.Status.INVALID
        summary = render_problems.summary_line(exc.problems, status, "")
        if fmt == "json":
            sys.stdout.write(render_problems.json_doc(command, exc.problems, status))
        elif fmt == "github":
            sys.stdout.write(render_problems.github(exc.problems, summary))
        else:
            render_problems.text(text_console, exc.problems, summary)
        raise typer.Exit(EXIT_INVALID) from None


def fail_usage(message: str) -> NoReturn:
    stderr_console().print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(EXIT_INVALID)


def write_output(text: str, output: Path | None) -> None:
    """Print to stdout, or write ``output`` atomically (temp file in the same folder, then rename)."""
    if output is None or str(output) == "-":
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            raise  # the reader has gone: click ends quietly
        except OSError as exc:  # e.g. ``> plan.json`` on a full disk
            fail_usage(f"cannot write the output: {exc.strerror}")
        return
    target = output.resolve()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        fail_usage(f"cannot write {output}: {exc.strerror}")
    try:
        # mkstemp creates the file 0600; give it the mode any new file gets (0666 minus umask),
        # so a report or plan can be shared like any other output.
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except OSError as exc:  # e.g. -o names a directory, or the disk is full
        Path(tmp).unlink(missing_ok=True)
        fail_usage(f"cannot write {output}: {exc.strerror}")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def plan_format(chosen: PlanFormat | None, output: Path | None) -> PlanFormat:
    if chosen is not None:
        return chosen
    to_terminal = (output is None or str(output) == "-") and sys.stdout.isatty()
    return PlanFormat.TABLE if to_terminal else PlanFormat.TEXT


def capture_console(fmt: PlanFormat) -> Console:
    """A console that renders into a string: colour only for ``table`` on a terminal."""
    tty = sys.stdout.isatty()
    colour = fmt is PlanFormat.TABLE and tty
    width = Console().width if tty else 160
    return Console(
        file=io.StringIO(),
        force_terminal=colour,
        no_color=not colour or bool(os.environ.get("NO_COLOR")),
        color_system="auto" if colour else None,
        highlight=False,
        width=width,
    )


def rendered(console: Console) -> str:
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()


def show_warnings(warnings: Sequence[Problem]) -> None:
    """Input warnings go to stderr, so they never mix with a plan on stdout."""
    if warnings:
        render_problems.text(stderr_console(), warnings, f"{len(warnings)} warning(s) in the input")


@contextlib.contextmanager
def progress(label: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the solver's latest news on stderr, only when stderr is a terminal."""
    console = stderr_console()
    if not console.is_terminal:
        yield lambda _msg: None
        return
    with console.status(f"{label}...") as status:
        yield lambda msg: status.update(f"{label}: {msg}")
