"""The README's ``vmplan script`` and ``vmplan apply`` examples, run in a shell as shown.

Each ``$ `` line of those sections' console blocks runs under bash in a copy of the samples, with
this vmplan first on PATH; what it prints (stdout and stderr together) must be the lines shown.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("### `vmplan script ", "### `vmplan apply ")


def examples() -> list[tuple[str, str]]:
    """(command, output shown) for every ``$ `` line of the two sections, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out: list[tuple[str, str]] = []
    for heading in SECTIONS:
        section = text[text.index(heading) :]
        section = section[: section.index("\n### ", 1)]
        block = section[section.index("```console\n") + len("```console\n") :]
        lines = block[: block.index("```")].splitlines()
        for i, line in enumerate(lines):
            if line.startswith("$ "):
                shown = []
                for after in lines[i + 1 :]:
                    if after.startswith("$ "):
                        break
                    shown.append(after)
                out.append((line[2:], "".join(s + "\n" for s in shown)))
    return out


def test_the_readme_shows_both_commands() -> None:
    commands = [c for c, _ in examples()]
    assert any(c.startswith("vmplan script ") for c in commands)
    assert any(c.startswith("vmplan apply ") for c in commands)


def test_the_readme_examples_print_what_they_show(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    for name in ("VMPLAN_INVENTORY", "DRY_RUN", "GITHUB_ACTIONS", "FORCE_COLOR"):
        env.pop(name, None)
    if shutil.which("vmplan", path=env["PATH"]) is None:
        pytest.fail("the vmplan command is not installed beside this Python (pip install -e .)")
    for command, shown in examples():
        done = subprocess.run(
            ["bash", "-c", f"exec 2>&1\n{command}"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.stdout == shown, f"README example {command!r} drifted"
