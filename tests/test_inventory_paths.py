"""Where a cpu_series CSV may come from: the inventory's folder (or below), or an allowed root;
never a FIFO or a device; and a file that is not a CSV is never quoted in a message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vmplan.inventory import load
from vmplan.problems import InputError

SECRET = "machine example.com login ci password hunter2\n"
RULE = (
    "outside the inventory's folder; a cpu_series CSV must be in the inventory's folder or below "
    "it (or in a folder listed in VMPLAN_SERIES_ROOTS)"
)


def inventory(folder: Path, csv: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "inventory.yaml"
    path.write_text(
        f"version: 1\ncpu_series: '{csv}'\n"
        "hosts: [{name: esx01, cpus: 32, memory: 512GiB}]\n"
        "vms: [{name: web01, host: esx01, vcpus: 4, memory: 16GiB}]\n"
    )
    return path


def messages(path: Path, **kwargs: object) -> list[tuple[int, int, str, str]]:
    with pytest.raises(InputError) as info:
        load([path], **kwargs)  # type: ignore[arg-type]
    return [(p.line, p.column, p.path, p.message) for p in info.value.problems]


def test_a_csv_in_the_folder_or_below_loads(tmp_path: Path) -> None:
    (tmp_path / "inv" / "metrics").mkdir(parents=True)
    (tmp_path / "inv" / "metrics" / "cpu.csv").write_text("timestamp,web01\n0,10\n")
    assert (
        load([inventory(tmp_path / "inv", "metrics/../metrics/cpu.csv")]).inventory.n_samples == 1
    )


def test_a_path_that_leaves_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text(SECRET)
    path = inventory(tmp_path / "inv", "../secret.csv")
    assert messages(path) == [
        (2, 13, "cpu_series", f"../secret.csv: it leads to {tmp_path / 'secret.csv'}, {RULE}")
    ]


def test_an_absolute_path_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text(SECRET)
    csv = str(tmp_path / "secret.csv")
    assert messages(inventory(tmp_path / "inv", csv)) == [
        (2, 13, "cpu_series", f"{csv}: an absolute path, {RULE}")
    ]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_link_that_points_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text(SECRET)
    path = inventory(tmp_path / "inv", "cpu.csv")
    (tmp_path / "inv" / "cpu.csv").symlink_to(tmp_path / "secret.csv")
    assert messages(path) == [
        (2, 13, "cpu_series", f"cpu.csv: it leads to {tmp_path / 'secret.csv'}, {RULE}")
    ]


def test_an_allowed_root_may_hold_the_csv(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "cpu.csv").write_text("timestamp,web01\n0,10\n1,20\n")
    path = inventory(tmp_path / "inv", "../shared/cpu.csv")
    loaded = load([path], series_roots=[tmp_path / "shared"])
    assert loaded.inventory.n_samples == 2
    absolute = inventory(tmp_path / "other", str(tmp_path / "shared" / "cpu.csv"))
    assert load([absolute], series_roots=[tmp_path / "shared"]).inventory.n_samples == 2


def test_a_file_that_is_not_a_csv_is_never_quoted(tmp_path: Path) -> None:
    (tmp_path / "inv").mkdir()
    (tmp_path / "inv" / "netrc").write_text(SECRET)
    found = messages(inventory(tmp_path / "inv", "netrc"))
    assert found == [
        (
            2,
            13,
            "cpu_series",
            "netrc: expected a header row 'timestamp,<vm name>,<vm name>,...', found a first "
            "line without commas (is it a CSV file?)",
        )
    ]
    assert "hunter2" not in str(found)


@pytest.mark.parametrize(("delimiter", "name"), [(";", "';'"), ("\t", "tab")])
def test_another_delimiter_is_named(tmp_path: Path, delimiter: str, name: str) -> None:
    (tmp_path / "inv").mkdir()
    (tmp_path / "inv" / "cpu.csv").write_text(f"timestamp{delimiter}web01\n0{delimiter}10\n")
    assert messages(inventory(tmp_path / "inv", "cpu.csv")) == [
        (
            2,
            13,
            "cpu_series",
            "cpu.csv: expected a header row 'timestamp,<vm name>,<vm name>,...', found "
            f"{name} between the cells; save the file with commas",
        )
    ]


def test_a_directory_is_not_a_csv(tmp_path: Path) -> None:
    (tmp_path / "inv" / "cpu.csv").mkdir(parents=True)
    assert messages(inventory(tmp_path / "inv", "cpu.csv")) == [
        (2, 13, "cpu_series", "cpu.csv: expected a regular CSV file, found a directory")
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    # opening a FIFO with no writer blocks forever: the check must come first. In a process, so
    # that a regression fails on the timeout instead of hanging the suite.
    path = inventory(tmp_path / "inv", "cpu.csv")
    os.mkfifo(tmp_path / "inv" / "cpu.csv")
    result = subprocess.run(
        [sys.executable, "-m", "vmplan", "check", "inventory.yaml"],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "inventory.yaml:2:13: error: cpu_series: cpu.csv: expected a regular CSV file, found a "
        "named pipe  [input]",
        "invalid input: 1 error(s), 0 warning(s)",
    ]
