"""The docs and samples agree with the code: README vs CI, the schema file, the samples."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vmplan.cli import app
from vmplan.inventory.jsonschema import inventory_schema

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SAMPLE_FILES = sorted(p.relative_to(ROOT).as_posix() for p in SAMPLES.rglob("*.yaml"))


def ci_section(marker: str) -> list[str]:
    """The command lines of .ci/run between ``# --- <marker>`` and the closing ``# ---``."""
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"# --- {marker}"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == "# ---")
    return [line for line in lines[start + 1 : end] if line.strip() and not line.startswith("#")]


def fenced_blocks(markdown: str) -> list[list[str]]:
    """The lines of every fenced code block (``` or ~~~), in order."""
    blocks: list[list[str]] = []
    fence: str | None = None
    for line in markdown.splitlines():
        marker = re.match(r"^\s*(```|~~~)", line)
        if marker and fence in (None, marker.group(1)):
            fence = None if fence else marker.group(1)
            if fence:
                blocks.append([])
        elif fence:
            blocks[-1].append(line)
    return blocks


def fenced_lines(markdown: str) -> list[str]:
    """Every line inside a fenced code block, stripped of a leading '$ ' prompt."""
    return [line.strip().removeprefix("$ ") for b in fenced_blocks(markdown) for line in b]


def test_the_readmes_test_command_is_what_ci_runs() -> None:
    command = ci_section("the README's test command")
    assert command == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install -q -e '.[test]' "
        "&& python -m pytest -q"
    ]
    readme = ROOT / "README.md"
    assert readme.exists(), "README.md is missing"
    assert command[0] in fenced_lines(readme.read_text(encoding="utf-8")), (
        "README.md must show the test command exactly as .ci/run runs it:\n" + command[0]
    )


def test_fenced_lines_reads_code_blocks_only() -> None:
    text = "a\n```sh\n$ one\n  two\n```\nthree\n~~~\nfour\n~~~\n"
    assert fenced_lines(text) == ["one", "two", "four"]


def test_ci_checks_every_sample() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    loop = re.search(r"^for f in (.+); do$", run, flags=re.MULTILINE)
    assert loop, ".ci/run should check the samples in a 'for f in ...; do' loop"
    assert sorted(loop.group(1).split()) == SAMPLE_FILES


def test_the_schema_file_is_what_vmplan_schema_prints() -> None:
    written = (SAMPLES / "inventory.schema.json").read_text(encoding="utf-8")
    assert written == json.dumps(inventory_schema(), indent=2) + "\n", (
        "samples/inventory.schema.json is stale: vmplan schema -o samples/inventory.schema.json"
    )


def test_the_samples_are_the_ones_the_readme_and_ci_use() -> None:
    assert {"samples/seed.yaml", "samples/inventory.yaml", "samples/csv/inventory.yaml"} <= set(
        SAMPLE_FILES
    )


@pytest.mark.parametrize("sample", SAMPLE_FILES)
def test_every_sample_passes_check(runner: CliRunner, sample: str) -> None:
    result = runner.invoke(app, ["check", str(ROOT / sample)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: "), result.stdout
    assert "warning" not in result.stdout


def check_examples(markdown: str) -> list[tuple[list[str], str]]:
    """``$ vmplan check ...`` lines of code blocks with the output printed under them."""
    examples: list[tuple[list[str], str]] = []
    for block in fenced_blocks(markdown):
        for i, line in enumerate(block):
            if line.startswith("$ vmplan check "):
                output = []
                for after in block[i + 1 :]:
                    if not after or after.startswith("$ "):
                        break
                    output.append(after)
                examples.append((line.split()[3:], "\n".join(output) + "\n"))
    return examples


def test_the_readmes_check_examples_print_what_they_show(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples = check_examples((ROOT / "README.md").read_text(encoding="utf-8"))
    assert examples, "the README shows no '$ vmplan check' example"
    monkeypatch.chdir(ROOT)
    for args, shown in examples:
        result = runner.invoke(app, ["check", *args])
        assert result.stdout == shown, f"README example 'vmplan check {' '.join(args)}' drifted"


def pack_examples(markdown: str) -> list[tuple[list[str], str]]:
    """``$ vmplan pack ...`` examples shown in full (no ``...`` elision)."""
    examples: list[tuple[list[str], str]] = []
    for block in fenced_blocks(markdown):
        for i, line in enumerate(block):
            if line.startswith("$ vmplan pack "):
                output = []
                for after in block[i + 1 :]:
                    if not after or after.startswith("$ "):
                        break
                    output.append(after.rstrip())
                if "..." not in output:
                    examples.append((line.split()[3:], "\n".join(output) + "\n"))
    return examples


def test_the_readmes_pack_examples_print_what_they_show(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples = pack_examples((ROOT / "README.md").read_text(encoding="utf-8"))
    assert examples, "the README shows no complete '$ vmplan pack' example"
    monkeypatch.chdir(ROOT)
    for args, shown in examples:
        # the README shows what a terminal shows, unless the example names a format
        terminal = [] if {"-f", "--format"} & set(args) else ["-f", "table"]
        result = runner.invoke(app, ["pack", *args, *terminal])
        printed = "".join(line.rstrip() + "\n" for line in result.stdout.splitlines())
        assert printed == shown, f"README example 'vmplan pack {' '.join(args)}' drifted"
