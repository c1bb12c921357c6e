"""The layout is a contract: imports flow one way, one rule for "fits", no fork, one place exits.

These read the source as text (and import it once, in a child process, for the scipy check), so a
change that breaks the shape the README describes fails here with the place to look.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "vmplan"


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = ast.parse(path.read_text(encoding="utf-8"))
    return out


MODULES = _modules()


def _imports(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _importers_of(prefix: str) -> set[str]:
    return {
        name
        for name, tree in MODULES.items()
        if any(i == prefix or i.startswith(prefix + ".") for i in _imports(tree))
    }


def _under(names: set[str], *packages: str) -> set[str]:
    return {n for n in names if any(n == p or n.startswith(p + ".") for p in packages)}


def test_nothing_imports_the_cli() -> None:
    assert _importers_of("vmplan.cli") <= {"vmplan.__main__"}  # the entry point only


@pytest.mark.parametrize(("one", "other"), [("vmplan.pack", "vmplan.evacuate")])
def test_pack_and_evacuate_never_import_each_other(one: str, other: str) -> None:
    assert _under(_importers_of(other), one) == set()
    assert _under(_importers_of(one), other) == set()


@pytest.mark.parametrize(
    "core",
    ["vmplan.engine", "vmplan.pack", "vmplan.evacuate", "vmplan.inventory", "vmplan.sizing"],
)
def test_the_core_imports_no_command_layer_and_no_terminal_library(core: str) -> None:
    for name, tree in MODULES.items():
        if name == core or name.startswith(core + "."):
            bad = {i for i in _imports(tree) if i.split(".")[0] in ("typer", "rich", "click")}
            bad |= {i for i in _imports(tree) if i.startswith(("vmplan.commands", "vmplan.render"))}
            assert not bad, f"{name} imports {sorted(bad)}"


def test_the_engine_imports_neither_planner() -> None:
    engine = {n for n in MODULES if n.startswith("vmplan.engine")}
    assert _under(_importers_of("vmplan.pack"), *engine) == set()
    assert _under(_importers_of("vmplan.evacuate"), *engine) == set()


def test_the_padded_limit_is_written_in_one_module() -> None:
    writers = {
        name
        for name, tree in MODULES.items()
        if "(1 + EPS)" in ast.unparse(tree) or "1 + EPS" in ast.unparse(tree)
    }
    assert writers == {"vmplan.constraints"}


def test_no_module_forks_or_exits() -> None:
    for name, tree in MODULES.items():
        calls = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        assert not calls & {"os.fork", "os.forkpty", "multiprocessing.Process"}, name
        if name != "vmplan.cli":
            assert not calls & {"sys.exit", "os._exit", "exit"}, name
            assert "typer.Exit" not in calls, f"{name}: only vmplan.cli decides exit codes"


@pytest.mark.parametrize(
    ("sample", "loaded"),
    [
        ("seed.yaml", "False False"),  # no rules: no scipy at all
        ("inventory.yaml", "True False"),  # anti-affinity: csgraph's matching, never optimize
    ],
)
def test_check_without_evacuable_loads_no_solver(sample: str, loaded: str) -> None:
    path = PACKAGE.parent / "samples" / sample
    code = (
        "import sys\n"
        "from vmplan.cli import run\n"
        f"sys.argv = ['vmplan', 'check', {str(path)!r}]\n"
        "code = run()\n"
        "mods = set(sys.modules)\n"
        "print(code, 'scipy' in mods, 'scipy.optimize' in mods)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.stdout.strip().splitlines()[-1] == f"0 {loaded}", done.stdout + done.stderr
