"""Names that print like others load, with a warning at their place."""

from __future__ import annotations

import json
from pathlib import Path

from vmplan.inventory import load


def warnings_of(tmp_path: Path, hosts: list[str], vms: list[str]) -> list[tuple[int, str, str]]:
    doc = {
        "version": 1,
        "hosts": [{"name": h, "cpus": 32, "memory": "512GiB"} for h in hosts],
        "vms": [
            {"name": v, "host": hosts[0], "vcpus": 1, "memory": "1GiB", "cpu": [1]} for v in vms
        ],
    }
    path = tmp_path / "inv.yaml"
    # JSON is YAML: one entry per line, and every character written as an escape
    lines = [
        '{"version": 1,',
        '"hosts": [',
        *(json.dumps(h) + "," for h in doc["hosts"]),  # type: ignore[attr-defined]
        "],",
        '"vms": [',
        *(json.dumps(v) + "," for v in doc["vms"]),  # type: ignore[attr-defined]
        "]}",
    ]
    path.write_text("\n".join(lines) + "\n")
    loaded = load([path])
    return [(w.line, w.path, w.message) for w in loaded.warnings if w.rule == "names"]


def test_names_that_differ_only_by_nfkc_are_warned(tmp_path: Path) -> None:
    fullwidth = "\uff57\uff45\uff42" + "01"  # web01 in fullwidth letters
    assert warnings_of(tmp_path, ["esx01", "esx0\u2460"], ["web01", fullwidth]) == [
        (
            4,
            "hosts[1].name",
            f"host name 'esx0\u2460' differs from 'esx01' ({tmp_path / 'inv.yaml'}:3) only by "
            "Unicode normalisation (NFKC); they print alike",
        ),
        (
            8,
            "vms[1].name",
            f"VM name '{fullwidth}' differs from 'web01' ({tmp_path / 'inv.yaml'}:7) only by "
            "Unicode normalisation (NFKC); they print alike",
        ),
    ]


def test_invisible_and_control_characters_are_warned(tmp_path: Path) -> None:
    found = warnings_of(
        tmp_path, ["esx01"], ["web\u200b01", "db\u202e10", "app\x1b[31m", "ca\x85che"]
    )
    assert found == [
        (
            6,
            "vms[0].name",
            "VM name 'web\\u200b01' contains the invisible or control character U+200B "
            "(ZERO WIDTH SPACE); it prints like another name",
        ),
        (
            7,
            "vms[1].name",
            "VM name 'db\\u202e10' contains the invisible or control character U+202E "
            "(RIGHT-TO-LEFT OVERRIDE); it prints like another name",
        ),
        (
            8,
            "vms[2].name",
            "VM name 'app\\u001b[31m' contains the invisible or control character U+001B "
            "(a control character); it prints like another name",
        ),
        (
            9,
            "vms[3].name",
            "VM name 'ca\\u0085che' contains the invisible or control character U+0085 "
            "(a control character); it prints like another name",
        ),
    ]


def test_plain_names_are_not_warned(tmp_path: Path) -> None:
    assert warnings_of(tmp_path, ["esx01", "esx02"], ["web01", "Web01", "caf\u00e9"]) == []
