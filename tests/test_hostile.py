"""Hostile input ends quickly with an InputError (and exit code 2 from the CLI), never a hang,
a crash or a traceback. Nothing here is timed: each case finishes in well under a second.
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vmplan.cli import app
from vmplan.inventory import load, yamlnodes
from vmplan.inventory.schema import MAX_PROBLEMS
from vmplan.problems import InputError

Builder = Callable[[Path], Path]


def billion_laughs(tmp: Path) -> Path:
    lines = [
        "version: 1",
        'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    ]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines.append("hosts: *a9")
    path = tmp / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def deep_flow(tmp: Path) -> Path:
    path = tmp / "deep-flow.yaml"
    path.write_text("[" * 100_000)
    return path


def deep_block(tmp: Path) -> Path:
    path = tmp / "deep-block.yaml"
    path.write_text("- " * 100_000 + "x\n")
    return path


def deep_mapping(tmp: Path) -> Path:
    path = tmp / "deep-mapping.yaml"
    path.write_text("{a: " * 100_000)
    return path


def one_gib(tmp: Path) -> Path:
    path = tmp / "huge.yaml"
    with path.open("wb") as f:  # sparse: no disk is used
        f.truncate(1 << 30)
    return path


def binary(tmp: Path) -> Path:
    path = tmp / "binary.yaml"
    rng = random.Random(20261102)
    path.write_bytes(b"version: 1\n\0" + rng.randbytes(100_000))
    return path


def invalid_utf8(tmp: Path) -> Path:
    path = tmp / "latin1.yaml"
    path.write_bytes("version: 1\nhosts:\n  - {name: caf\u00e9}\n".encode("latin-1"))
    return path


def late_nul(tmp: Path) -> Path:
    path = tmp / "late-nul.yaml"
    path.write_bytes(b"version: 1\n" + b"# padding\n" * 10_000 + b"hosts: [\0]\n")
    return path


def recursive_alias(tmp: Path) -> Path:
    path = tmp / "recursive.yaml"
    path.write_text("version: 1\nhosts: &h [*h, *h]\nvms: &v {a: *v}\n")
    return path


def huge_csv(tmp: Path) -> Path:
    with (tmp / "cpu.csv").open("wb") as f:
        f.truncate(3 << 30)
    path = tmp / "inventory.yaml"
    path.write_text(
        "version: 1\ncpu_series: cpu.csv\n"
        "hosts: [{name: esx01, cpus: 32, memory: 512GiB}]\n"
        "vms: [{name: web01, host: esx01, vcpus: 4, memory: 16GiB}]\n"
    )
    return path


def binary_csv(tmp: Path) -> Path:
    (tmp / "cpu.csv").write_bytes(b"timestamp,web01\n\0\0\0" + random.Random(1).randbytes(1000))
    path = tmp / "inventory.yaml"
    path.write_text(
        "version: 1\ncpu_series: cpu.csv\n"
        "hosts: [{name: esx01, cpus: 32, memory: 512GiB}]\n"
        "vms: [{name: web01, host: esx01, vcpus: 4, memory: 16GiB}]\n"
    )
    return path


# (builder, the expected (line, column, message) of the one problem, or a message fragment)
CASES: dict[str, tuple[Builder, tuple[int, int, str] | str]] = {
    "billion laughs": (
        billion_laughs,
        (  # a5, the first node to expand past the limit, anchor included
            7,
            5,
            "aliases expand this node to more than 100,000 nodes; refusing a document that "
            "expands like a 'billion laughs' attack",
        ),
    ),
    "[ x 100000": (deep_flow, "exceeded maximum nesting depth"),
    "- x 100000": (deep_block, (1, 65, "nesting deeper than 32 levels")),
    "{a: x 100000": (deep_mapping, (1, 129, "nesting deeper than 32 levels")),
    "1 GiB file": (
        one_gib,
        (
            0,
            0,
            "file is 1,024 MiB, over the 256 MiB limit for an inventory; keep long series in a "
            "cpu_series CSV",
        ),
    ),
    "binary": (binary, (1, 1, "expected a YAML text file, found binary data")),
    "invalid UTF-8": (invalid_utf8, (3, 15, "expected UTF-8 text, found byte 0xe9")),
    "NUL after 64 KiB": (
        late_nul,
        (
            10_002,
            9,
            "invalid YAML: unacceptable character #x0000: control characters are not allowed",
        ),
    ),
    "recursive alias": (recursive_alias, "expected a mapping with keys name, cpus, memory"),
    "3 GiB CSV": (huge_csv, "cpu.csv: file is 3,072 MiB, over the 2048 MiB limit"),
    "binary CSV": (binary_csv, "cpu.csv: expected a CSV text file, found binary data"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_input_ends_with_input_error(tmp_path: Path, case: str) -> None:
    build, expected = CASES[case]
    path = build(tmp_path)
    with pytest.raises(InputError) as info:
        load([path])
    problems = info.value.problems
    if isinstance(expected, tuple):
        assert [(p.line, p.column, p.message) for p in problems] == [expected]
    else:
        assert any(expected in p.message for p in problems), [str(p) for p in problems]


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_input_exits_2_without_a_traceback(
    runner: CliRunner, tmp_path: Path, case: str
) -> None:
    path = CASES[case][0](tmp_path)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout.rstrip().splitlines()[-1].startswith("invalid input: ")


def test_a_file_of_endless_mistakes_stops_after_max_problems(tmp_path: Path) -> None:
    path = tmp_path / "garbage.yaml"
    path.write_text("version: 1\nhosts:\n" + "  - x\n" * (3 * MAX_PROBLEMS))
    with pytest.raises(InputError) as info:
        load([path])
    problems = info.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    stop = [p for p in problems if p.message.startswith("stopped")]
    assert [(p.line, p.message) for p in stop] == [
        (MAX_PROBLEMS + 2, f"stopped after {MAX_PROBLEMS} problems in this file; fix these first")
    ]


def test_many_unknown_top_level_keys_stop_too(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text("".join(f"key{i}: 1\n" for i in range(3 * MAX_PROBLEMS)))
    with pytest.raises(InputError) as info:
        load([path])
    assert len(info.value.problems) == MAX_PROBLEMS + 1


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_device_is_refused_after_one_block() -> None:
    # /dev/zero has no size to check in advance; only the first block is read
    with pytest.raises(InputError) as info:
        load(["/dev/zero"])
    assert [(p.line, p.message) for p in info.value.problems] == [
        (1, "expected a YAML text file, found binary data")
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_stream_is_read_no_further_than_the_limit(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.yaml"
    os.mkfifo(fifo)

    def produce() -> None:
        try:
            with fifo.open("wb") as f:
                f.write(b"version: 1\n" + b"# more\n" * 100_000)
        except BrokenPipeError:
            pass  # the reader stopped at its limit, as it should

    writer = threading.Thread(target=produce)
    writer.start()
    try:
        with pytest.raises(InputError) as info:
            load([fifo], max_yaml_bytes=10_000)
    finally:
        writer.join(timeout=10)
    assert [p.message for p in info.value.problems] == [
        "file is over the 0 MiB limit for an inventory; keep long series in a cpu_series CSV"
    ]


def test_utf16_is_named(tmp_path: Path) -> None:
    path = tmp_path / "windows.yaml"
    path.write_text("version: 1\n", encoding="utf-16")
    with pytest.raises(InputError) as info:
        load([path])
    assert [(p.line, p.column, p.message) for p in info.value.problems] == [
        (1, 1, "expected UTF-8 text, found UTF-16; save the file as UTF-8")
    ]


def test_a_document_of_too_many_nodes_is_refused_before_it_fills_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # within the size limit, 250 MB of "0," would be 125 million nodes (about 30 GB composed)
    monkeypatch.setattr(yamlnodes, "MAX_EVENTS", 1000)
    path = tmp_path / "zeros.yaml"
    path.write_text("version: 1\nhosts: [" + "0, " * 2000 + "0]\n")
    with pytest.raises(InputError) as info:
        load([path])
    assert [(p.line, p.message) for p in info.value.problems] == [
        (
            2,
            "more than 1,000 YAML nodes; write long CPU series as strings "
            '(cpu: "12 15 40 ...") or in a cpu_series CSV',
        )
    ]
