"""Shared fixtures: files written only under tmp_path, a CliRunner, golden files, hypothesis.

Golden files under tests/golden/ are compared byte for byte; ``pytest --update-golden`` rewrites
them from the current output (review the diff before committing).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from vmplan.inventory import load
from vmplan.problems import InputError

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
GOLDEN = TESTS / "golden"
SAMPLES = TESTS.parent / "samples"

# No example database: the tests must not write into the repository. Seeds are derandomised so a
# run is reproducible; the suite stays fast with modest example counts set per test.
settings.register_profile(
    "vmplan",
    database=None,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("vmplan")

Problem5 = tuple[str, int, int, str, str]
Writer = Callable[[str, str | bytes], Path]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current output instead of comparing with it",
    )


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    """``write("a/b.yaml", text)`` -> the path under tmp_path; text is dedented, bytes are raw."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner in a neutral environment: not under Actions, no forced colour."""
    for name in ("GITHUB_ACTIONS", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner working in ``tmp_path``, with no inventory from the environment."""
    monkeypatch.chdir(tmp_path)
    for name in ("VMPLAN_INVENTORY", "GITHUB_ACTIONS", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


@pytest.fixture
def in_data(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run with tests/data as the working directory, so messages show short relative names."""
    monkeypatch.chdir(DATA)
    yield DATA


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``golden(name, text)``: compare with tests/golden/NAME, or rewrite it with --update-golden."""
    update = bool(request.config.getoption("--update-golden"))

    def _compare(name: str, text: str) -> None:
        path = GOLDEN / name
        if update:
            path.write_text(text, encoding="utf-8", newline="\n")
            return
        assert path.exists(), f"{path} is missing; run pytest --update-golden and review it"
        assert text == path.read_text(encoding="utf-8"), (
            f"output differs from {path}; if the change is intended, run pytest --update-golden"
        )

    return _compare


@pytest.fixture
def problems_of() -> Callable[..., list[Problem5]]:
    """``problems_of(*paths)``: load expecting invalid input; (file, line, column, path, message)."""

    def _problems(*paths: str | Path) -> list[Problem5]:
        with pytest.raises(InputError) as info:
            load(list(paths))
        return [(p.file, p.line, p.column, p.path, p.message) for p in info.value.problems]

    return _problems
