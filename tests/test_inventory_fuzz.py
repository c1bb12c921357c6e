"""Properties of the loader under hypothesis.

(a) Whatever the bytes, ``load`` returns an inventory or raises InputError (and ``check`` runs on
    whatever loads); problems point inside the file.
(b) Generated valid inventories load, and the demand matrix is ``cpu / 100 * vcpus`` whichever way
    the series are written (YAML list, string, CSV column), with gaps filled by the VM's peak.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmplan import checks
from vmplan.inventory import load
from vmplan.problems import InputError, Level

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SEED_TEXT = (SAMPLES / "seed.yaml").read_text(encoding="utf-8")
SAMPLE_LINES = (SAMPLES / "inventory.yaml").read_text(encoding="utf-8").splitlines(keepends=True)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def load_or_report(path: Path, text: str | bytes) -> None:
    """The property of (a): a valid inventory (then checked) or an InputError inside the file."""
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    try:
        loaded = load([path])
    except InputError as exc:
        assert exc.problems, "an InputError must carry at least one problem"
        lines = len(path.read_bytes().splitlines()) + 1
        for p in exc.problems:
            assert p.message
            assert 0 <= p.line <= lines and p.column >= 0, str(p)
        return
    checks.run(loaded.inventory)


# --- (a) random and mutated text ------------------------------------------------------------

YAMLISH = st.text(
    alphabet=st.sampled_from(
        [*"abcdehmnostuvx019 \t\n-:,[]{}#&*!|>'\"%@`?~.", "\x00", "\u00e9", "\ufeff"]
    ),
    max_size=200,
)
WORDS = st.lists(
    st.sampled_from(
        [
            "version: 1\n",
            "hosts:\n",
            "vms:\n",
            "rules:\n",
            "  - ",
            "{name: h1, cpus: 4, memory: 8GiB}",
            "{name: v1, host: h1, vcpus: 2, memory: 1GiB, cpu: [1, 2]}",
            "{type: pin, vms: [v1], hosts: [h1]}",
            "cpu_series: x.csv\n",
            "&a ",
            "*a",
            "[",
            "]",
            "null",
            ".nan",
            "\n",
            "interval: 5m\n",
            "limits: {cpu: 80%}\n",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=100)
@given(text=st.one_of(YAMLISH, WORDS))
def test_random_text_loads_or_reports(scratch: Path, text: str) -> None:
    load_or_report(scratch / "random.yaml", text)


@settings(max_examples=30)
@given(data=st.binary(max_size=300))
def test_random_bytes_load_or_report(scratch: Path, data: bytes) -> None:
    load_or_report(scratch / "bytes.yaml", data)


@st.composite
def mutated_lines(draw: st.DrawFn) -> str:
    """samples/inventory.yaml with a few lines deleted, duplicated, swapped or replaced."""
    lines = list(SAMPLE_LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "truncate"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "replace":
            lines[i] = draw(YAMLISH) + "\n"
        else:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))] + "\n"
    return "".join(lines)


@st.composite
def mutated_chars(draw: st.DrawFn) -> str:
    """samples/seed.yaml with a few characters deleted, duplicated or replaced."""
    text = SEED_TEXT
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "replace"]))
        if op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "duplicate":
            text = text[:i] + text[i] + text[i:]
        else:
            c = draw(st.sampled_from(list(" \t\n-:,[]{}#&*!|>'\"%?~.0123456789xyzé")))
            text = text[:i] + c + text[i + 1 :]
    return text


@settings(max_examples=40)
@given(text=mutated_lines())
def test_mutated_sample_lines_load_or_report(scratch: Path, text: str) -> None:
    load_or_report(scratch / "inventory.yaml", text)


@settings(max_examples=80)
@given(text=mutated_chars())
def test_mutated_seed_characters_load_or_report(scratch: Path, text: str) -> None:
    load_or_report(scratch / "seed.yaml", text)


# --- (b) generated valid inventories --------------------------------------------------------

NAME = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_.é")),
    min_size=1,
    max_size=8,
)
PERCENT = st.one_of(
    st.integers(0, 100).map(float),
    st.floats(0, 100, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 2)),
)


@dataclass
class Generated:
    files: dict[str, str]  # name -> text, the first one(s) are given to load
    order: list[str]
    vcpus: np.ndarray
    cpu: np.ndarray  # VMs x samples, NaN = missing


def series_text(values: np.ndarray, style: str) -> str:
    if style == "list":
        return "[" + ", ".join("null" if np.isnan(v) else repr(float(v)) for v in values) + "]"
    return json.dumps(" ".join("null" if np.isnan(v) else repr(float(v)) for v in values))


@st.composite
def inventories(draw: st.DrawFn, gaps: bool = False) -> Generated:
    n_hosts = draw(st.integers(1, 4))
    n_vms = draw(st.integers(1, 6))
    n_samples = draw(st.integers(1, 12))
    names = draw(st.lists(NAME, min_size=n_hosts + n_vms, max_size=n_hosts + n_vms, unique=True))
    hosts, vms = names[:n_hosts], names[n_hosts:]
    cells = draw(
        st.lists(PERCENT, min_size=n_vms * n_samples, max_size=n_vms * n_samples).map(
            lambda xs: np.array(xs, dtype=np.float64).reshape(n_vms, n_samples)
        )
    )
    if gaps:
        holes = draw(
            st.lists(st.booleans(), min_size=n_vms * n_samples, max_size=n_vms * n_samples)
        )
        cells[np.array(holes).reshape(n_vms, n_samples)] = np.nan
    vcpus = np.array(draw(st.lists(st.integers(1, 64), min_size=n_vms, max_size=n_vms)))
    styles = draw(
        st.lists(st.sampled_from(["list", "string", "csv"]), min_size=n_vms, max_size=n_vms)
    )
    split = draw(st.booleans())  # hosts in one file, VMs in another

    host_lines = [
        f"  - {{name: {json.dumps(h)}, cpus: {draw(st.integers(1, 128))}, memory: 256GiB}}"
        for h in hosts
    ]
    vm_lines = []
    for k, v in enumerate(vms):
        entry = (
            f"  - {{name: {json.dumps(v)}, host: {json.dumps(draw(st.sampled_from(hosts)))}, "
            f"vcpus: {vcpus[k]}, memory: 4GiB"
        )
        if styles[k] != "csv":
            entry += f", cpu: {series_text(cells[k], styles[k])}"
        vm_lines.append(entry + "}")
    csv_vms = [k for k, s in enumerate(styles) if s == "csv"]
    files: dict[str, str] = {}
    head = "version: 1\ninterval: 5m\n"
    vm_part = "vms:\n" + "\n".join(vm_lines) + "\n"
    if csv_vms:
        vm_part = "cpu_series: cpu.csv\n" + vm_part
        rows = ["timestamp," + ",".join(vms[k] for k in csv_vms)]
        for t in range(n_samples):
            rows.append(
                f"t{t},"
                + ",".join(
                    "" if np.isnan(cells[k, t]) else repr(float(cells[k, t])) for k in csv_vms
                )
            )
        files["cpu.csv"] = "\n".join(rows) + "\n"
    if split:
        files["hosts.yaml"] = head + "hosts:\n" + "\n".join(host_lines) + "\n"
        files["vms.yaml"] = head + vm_part
        order = ["hosts.yaml", "vms.yaml"]
    else:
        files["inventory.yaml"] = head + "hosts:\n" + "\n".join(host_lines) + "\n" + vm_part
        order = ["inventory.yaml"]
    return Generated(files, order, vcpus, cells)


def write_all(folder: Path, gen: Generated) -> list[Path]:
    for name, text in gen.files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in gen.order]


@settings(max_examples=60)
@given(gen=inventories())
def test_valid_inventories_load_with_demand_cpu_times_vcpus(
    tmp_path_factory: pytest.TempPathFactory, gen: Generated
) -> None:
    paths = write_all(tmp_path_factory.mktemp("gen", numbered=True), gen)
    loaded = load(paths)
    # small generated samples may all be at most 1, which is warned about as likely fractions
    assert all(w.rule == "series" and "fractions of 1" in w.message for w in loaded.warnings)
    inv = loaded.inventory
    assert inv.demand.shape == gen.cpu.shape
    np.testing.assert_allclose(inv.demand, gen.cpu / 100 * gen.vcpus[:, None], rtol=1e-12)
    assert not inv.demand.flags.writeable
    checks.run(inv)


@settings(max_examples=40)
@given(gen=inventories(gaps=True))
def test_gaps_are_filled_with_the_vms_peak(
    tmp_path_factory: pytest.TempPathFactory, gen: Generated
) -> None:
    paths = write_all(tmp_path_factory.mktemp("gaps", numbered=True), gen)
    loaded = load(paths)
    missing = np.isnan(gen.cpu)
    peak = np.where(missing.all(axis=1), 100.0, np.nanmax(np.where(missing, -1, gen.cpu), axis=1))
    expected = np.where(missing, peak[:, None], gen.cpu) / 100 * gen.vcpus[:, None]
    np.testing.assert_allclose(loaded.inventory.demand, expected, rtol=1e-12)
    filled = [w for w in loaded.warnings if w.rule == "missing-samples"]
    assert len(filled) == int(missing.any(axis=1).sum())
    assert all(w.level is Level.WARNING for w in filled)


# --- (a) for CSV: a mutated file loads exactly as written, or is reported --------------------

CSV_VMS = ("web01", "web02", "db01")
CSV_VCPUS = np.array([4.0, 2.0, 8.0])
CSV_INVENTORY = """version: 1
cpu_series: cpu.csv
hosts: [{name: esx01, cpus: 64, memory: 512GiB}]
vms:
  - {name: web01, host: esx01, vcpus: 4, memory: 8GiB}
  - {name: web02, host: esx01, vcpus: 2, memory: 8GiB}
  - {name: db01, host: esx01, vcpus: 8, memory: 8GiB}
"""
CSV_TEXT = "timestamp,web01,web02,db01\n" + "".join(
    f"2026-11-02T00:{5 * t:02d}:00Z,{10 + t},{20.5 + t},{3 * t}\n" for t in range(6)
)


def reference_cells(text: str) -> list[list[str]]:
    """The CSV's data cells as a person reads them (no numpy): rows of stripped strings."""
    rows = [line.split(",") for line in text.split("\n")[1:] if line.strip()]
    return [[c.strip() for c in row[1:]] for row in rows]


@settings(max_examples=80)
@given(
    edits=st.lists(
        st.tuples(
            st.integers(27, len(CSV_TEXT) - 1),  # keep the header: its mistakes are covered above
            st.sampled_from(["delete", "duplicate", *" ,\n.-+e_x9\u0661"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_mutated_csv_loads_exactly_as_written_or_is_reported(
    scratch: Path, edits: list[tuple[int, str]]
) -> None:
    text = CSV_TEXT
    for i, op in edits:
        i = min(i, len(text) - 1)
        if op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "duplicate":
            text = text[:i] + text[i] + text[i:]
        else:
            text = text[:i] + op + text[i + 1 :]
    (scratch / "cpu.csv").write_text(text, encoding="utf-8")
    (scratch / "csv.yaml").write_text(CSV_INVENTORY, encoding="utf-8")
    try:
        demand = load([scratch / "csv.yaml"]).inventory.demand
    except InputError:
        return
    # it loaded: every cell is a number in range or blank, and sits in its own VM's row
    cells = reference_cells(text)
    assert demand.shape == (len(CSV_VMS), len(cells))
    for t, row in enumerate(cells):
        for k, cell in enumerate(row):
            if cell:
                assert demand[k, t] == pytest.approx(float(cell) / 100 * CSV_VCPUS[k], rel=1e-12)
            else:
                assert demand[k, t] == demand[k].max()


# The rules of vmplan.inventory.numbers, written out again from the YAML 1.2 core schema (10.3.2)
# and YAML 1.1's booleans, independently of the reader's own patterns.
REF_NULL = re.compile(r"~|null|Null|NULL|")
REF_BOOL = re.compile(
    r"(yes|no|true|false|on|off)|(Yes|No|True|False|On|Off)|(YES|NO|TRUE|FALSE|ON|OFF)"
)
REF_INT = re.compile(r"[-+]?[0-9]+")
REF_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
REF_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
REF_NAN = re.compile(r"\.(nan|NaN|NAN)")


def typed_by_the_yaml_rules(v: str) -> object:
    """The typing of a plain scalar, one pattern after another (the reference)."""
    if REF_NULL.fullmatch(v):
        return None
    if REF_BOOL.fullmatch(v):
        return v.lower() in ("yes", "true", "on")
    if REF_INT.fullmatch(v):
        return (
            int(v)
            if len(v.lstrip("+-")) <= 4300
            else (float("-inf") if v[0] == "-" else float("inf"))
        )
    if REF_FLOAT.fullmatch(v):
        return float(v)
    if REF_INF.fullmatch(v):
        return float("-inf") if v.startswith("-") else float("inf")
    if REF_NAN.fullmatch(v):
        return float("nan")
    return v


words = st.sampled_from(
    [
        *("", "~", "null", "NULL", "yes", "No", "on", "OFF", "true"),
        *(".inf", "-.inf", "+.Inf", ".NaN", "1e5", "1.5e3", "1.5E+3", ".5", "5.", "007", "-0"),
        *("0x1F", "0o17", "1_000", "1:30", "1e", "9" * 5000),
    ]
)
numbers = st.from_regex(r"\A[-+]?[0-9]{0,6}(\.[0-9]{0,4})?([eE][-+]?[0-9]{1,3})?\Z")
scalars = words | numbers | st.from_regex(r"\A[-+.~0-9a-zA-Z_]{0,8}\Z") | st.text(max_size=8)


@given(scalars)
def test_plain_scalars_are_typed_by_the_yaml_rules(v: str) -> None:
    from vmplan.inventory import yamlnodes as yn

    got = yn.plain_value(yn.Scalar(1, 1, None, 1, v, True, True))
    want = typed_by_the_yaml_rules(v)
    assert type(got) is type(want)
    assert got == want or (got != got and want != want)  # NaN
