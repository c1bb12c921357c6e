"""Where text goes: consoles, progress and diagnostics on stderr, the product on stdout or ``-o``.

Writing ``-o FILE`` (:func:`write_output`) never loses data:

- a path that is one of the files read (the inventories, their ``cpu_series`` CSVs, a plan) is
  refused before anything is written, also through a symlink or a hard link;
- a regular file or a new path is written to a temporary file in the same folder, then renamed
  over it (keeping an existing file's mode), so an interrupted run leaves the old file whole;
- anything else (a device such as ``/dev/null``, a FIFO, ``/dev/stdout``) is written directly and
  never replaced;
- a write that fails (no space left, a closed stream) is exit 2 with the reason.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from rich.console import Console

from vmplan.commands.outcome import Outcome, Stop
from vmplan.problems import Problem
from vmplan.render import problems as render_problems
from vmplan.render.escape import printable
from vmplan.render.formats import PlanFormat, from_extension

#: Width of text written to a pipe or a file (a terminal uses its own width).
PIPE_WIDTH = 160


def _width(tty: bool) -> int | None:
    """``$COLUMNS`` when set, else the terminal's own width, else a wide line for pipes."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return None if tty else PIPE_WIDTH


def stdout_console() -> Console:
    """Colour only on a terminal (rich honours NO_COLOR); wide lines when piped."""
    tty = sys.stdout.isatty()
    return Console(file=sys.stdout, highlight=False, width=_width(tty), soft_wrap=False)


def stderr_console() -> Console:
    tty = sys.stderr.isatty()
    return Console(file=sys.stderr, highlight=False, width=_width(tty), stderr=True)


def capture_console(fmt: PlanFormat) -> Console:
    """A console that renders into a string: colour only for ``table`` on a terminal."""
    tty = sys.stdout.isatty()
    colour = fmt is PlanFormat.TABLE and tty
    return Console(
        file=io.StringIO(),
        force_terminal=colour,
        no_color=not colour or bool(os.environ.get("NO_COLOR")),
        color_system="auto" if colour else None,
        highlight=False,
        width=_width(tty) or Console().width,
    )


def rendered(console: Console) -> str:
    """What a :func:`capture_console` has recorded."""
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()


def on_github() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def to_stdout(output: Path | None) -> bool:
    return output is None or str(output) == "-"


def plan_format(chosen: PlanFormat | None, output: Path | None) -> PlanFormat:
    """``--format``, else the extension of ``-o``, else table on a terminal and text otherwise."""
    if chosen is not None:
        return chosen
    by_name = from_extension(output)
    if by_name is not None:
        return PlanFormat(by_name.value)
    return PlanFormat.TABLE if to_stdout(output) and sys.stdout.isatty() else PlanFormat.TEXT


def fail(message: str) -> NoReturn:
    """Say what is wrong with the command line or the output, and end with exit 2."""
    stderr_console().print(f"[bold red]error:[/] {printable(message)}", soft_wrap=True)
    raise Stop(Outcome.INVALID)


def show_problems(problems: Sequence[Problem], summary: str) -> None:
    render_problems.text(stderr_console(), problems, summary)


def show_warnings(warnings: Sequence[Problem]) -> None:
    """Input warnings go to stderr, so they never mix with a plan on stdout."""
    if warnings:
        show_problems(warnings, f"{len(warnings)} warning(s) in the input")


def confirm(output: Path | None) -> None:
    """One line on stderr when a file was written: ``wrote plan.json``."""
    if not to_stdout(output):
        stderr_console().print(f"wrote {printable(str(output))}", markup=False, highlight=False)


@contextlib.contextmanager
def progress(label: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the solver's latest news on stderr, only when stderr is a terminal."""
    console = stderr_console()
    if not console.is_terminal:
        yield lambda _msg: None
        return
    with console.status(f"{label}...") as status:
        yield lambda msg: status.update(f"{label}: {printable(msg)}")


def write_output(text: str, output: Path | None, inputs: Sequence[Path] = ()) -> None:
    """Print to stdout, or write ``output`` safely (see the module docstring)."""
    if to_stdout(output):
        _write_stdout(text)
        return
    assert output is not None
    refuse_inputs(output, inputs)
    try:
        info = output.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    if info is not None and stat.S_ISDIR(info.st_mode):
        fail(f"cannot write {output}: it is a directory")
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_directly(text, output)
        return
    if info is not None:
        mode = stat.S_IMODE(info.st_mode)
    else:  # mkstemp makes 0600; a new file gets what any new file gets (0666 minus umask)
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o666 & ~mask
    _replace_atomically(text, output.resolve(), mode, shown=output)


def replace_in_place(path: Path, text: str) -> None:
    """Rewrite an input file itself (``apply --in-place``): atomically, keeping its mode.

    A symlink is refused rather than followed or replaced: writing through it would change
    another file, replacing it would cut the link.
    """
    try:
        info = os.lstat(path)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}")
    if stat.S_ISLNK(info.st_mode):
        fail(
            f"{path} is a symlink to {os.readlink(path)}: --in-place never writes through one; "
            "use -o, or name the file it points to"
        )
    if not stat.S_ISREG(info.st_mode):
        fail(f"{path} is not a regular file: --in-place can only replace one")
    _replace_atomically(text, path, stat.S_IMODE(info.st_mode), shown=path)


def _write_stdout(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise  # the reader has gone: the entry point ends quietly
    except OSError as exc:  # e.g. ``> plan.json`` on a full disk, or a closed stdout
        fail(f"cannot write the output: {exc.strerror or exc}")


def refuse_inputs(output: Path, inputs: Sequence[Path]) -> None:
    """Stop (exit 2) when ``output`` is one of ``inputs``, under any name."""
    for path in inputs:
        with contextlib.suppress(OSError):
            if output.exists() and os.path.samefile(output, path):
                fail(f"refusing to write {output}: it is the input {path}; choose another -o")


def _write_directly(text: str, output: Path) -> None:
    """A device or FIFO: written in place, never renamed over."""
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")


def _replace_atomically(text: str, target: Path, mode: int, shown: Path) -> None:
    """A temporary file beside ``target``, written in full and flushed to disk, then renamed."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        fail(f"cannot write {shown}: {exc.strerror}")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as exc:  # e.g. the disk is full
        Path(tmp).unlink(missing_ok=True)
        fail(f"cannot write {shown}: {exc.strerror}")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
