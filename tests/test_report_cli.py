"""``vmplan report`` through the CLI: exit codes, where the report goes, plan errors, text format."""

from __future__ import annotations

import io
import json
import os
import re
import stat
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from vmplan.cli import app
from vmplan.inventory import load
from vmplan.planfile import read_plan
from vmplan.render import html as render_html
from vmplan.render import report_model, report_text

TESTS = Path(__file__).resolve().parent
SAMPLES = TESTS.parent / "samples"
SAMPLE = SAMPLES / "inventory.yaml"
SEED = SAMPLES / "seed.yaml"
SAMPLE_PLAN = TESTS / "data" / "report" / "sample-plan.json"
GOLDEN = TESTS / "golden"
SEED_PLAN = {
    "command": "pack",
    "feasible": True,
    "hosts_used": 1,
    "lower_bound": 1,
    "optimal": True,
    "placement": {"server-a": "host-a", "server-b": "host-a"},
    "freed_hosts": ["host-b"],
    "migrations": [
        {"wave": 1, "vm": "server-b", "from": "host-b", "to": "host-a", "seconds": 43.2}
    ],
    "hosts": [{"name": "host-a", "vms": ["server-a", "server-b"], "cpu_peak": 0.9,
               "cpu_peak_at": "2026-11-02T18:25:00Z", "memory": 0.75}],
}  # fmt: skip


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """A runner in a neutral environment, working in tmp_path (the default output lands there)."""
    for name in ("GITHUB_ACTIONS", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def run(cli: CliRunner, *args: str | Path) -> Result:
    return cli.invoke(app, ["report", *map(str, args)])


def write_plan(tmp_path: Path, doc: object, name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2), encoding="utf-8")
    return path


def charts_of(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<figure class="chart[^"]*" data-host="([^"]+)" data-side="(\w+)"', html)


def golden(request: pytest.FixtureRequest, name: str, text: str) -> None:
    """Compare with tests/golden/NAME; ``pytest --update-golden`` rewrites it (review the diff)."""
    path = GOLDEN / name
    if request.config.getoption("--update-golden", default=False):
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"{path} is missing; run pytest --update-golden and review it"
    assert text == path.read_text(encoding="utf-8"), f"output differs from {path}"


def test_default_output_is_a_file_in_the_working_directory(cli: CliRunner, tmp_path: Path) -> None:
    result = run(cli, SAMPLE)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == "wrote vmplan-report.html\n"
    html = (tmp_path / "vmplan-report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.endswith("</html>\n")
    assert charts_of(html) == [(f"esx0{i}", "now") for i in range(1, 9)]


def test_dash_writes_to_stdout(cli: CliRunner, tmp_path: Path) -> None:
    result = run(cli, SEED, "-o", "-")
    assert result.exit_code == 0
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert result.stderr == ""
    assert list(tmp_path.iterdir()) == []


def test_the_output_file_is_written_atomically_and_readable(cli: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    target.write_text("old report", encoding="utf-8")
    os.chmod(target, 0o600)
    result = run(cli, SEED, "-o", target)
    assert result.exit_code == 0
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # no temporary left
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # a replaced file keeps its mode


def test_a_new_output_file_gets_the_mode_of_any_new_file(cli: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    assert run(cli, SEED, "-o", target).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_an_unwritable_output_is_a_usage_error(cli: CliRunner, tmp_path: Path) -> None:
    result = run(cli, SEED, "-o", tmp_path / "missing" / "report.html")
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "No such file or directory" in result.stderr


def test_same_input_same_bytes(cli: CliRunner, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, SAMPLE_PLAN.read_text(encoding="utf-8"))
    first = run(cli, SAMPLE, "--plan", plan, "-o", "-").stdout
    second = run(cli, SAMPLE, "--plan", plan, "-o", "-").stdout
    assert first == second


def test_a_plan_adds_the_after_side_freed_hosts_and_waves(cli: CliRunner) -> None:
    doc = json.loads(SAMPLE_PLAN.read_text(encoding="utf-8"))
    result = run(cli, SAMPLE, "--plan", SAMPLE_PLAN, "-o", "-")
    assert result.exit_code == 0
    html = result.stdout
    freed = set(doc["freed_hosts"])
    hosts = [f"esx0{i}" for i in range(1, 9)]
    assert charts_of(html) == [(h, side) for h in hosts for side in ("before", "after")]
    assert set(re.findall(r'class="chart freed" data-host="([^"]+)"', html)) == freed
    assert html.count('<svg class="chart-svg"') == len(hosts) * 2 - len(freed)
    assert html.count('<svg class="small-svg"') == len(hosts)  # the fleet overview
    waves_table = html[html.index('<section class="waves">') :]
    assert waves_table.count("<tr>") == 1 + len(doc["migrations"])
    assert (
        f"{len(doc['migrations'])} migrations in {max(m['wave'] for m in doc['migrations'])} waves"
        in html
    )
    assert f"8 → {doc['hosts_used']}" in html


def test_the_report_is_self_contained(cli: CliRunner) -> None:
    html = run(cli, SAMPLE, "--plan", SAMPLE_PLAN, "-o", "-").stdout
    assert "<script" not in html.lower()
    assert not re.search(r"(src|href)=\"(?!#)", html)  # only links to anchors inside the page
    assert "url(" not in html and "@import" not in html and "http" not in html


def test_names_are_escaped(cli: CliRunner, tmp_path: Path) -> None:
    inventory = tmp_path / "inv.yaml"
    text = SEED.read_text(encoding="utf-8").replace("server-a", '<b>"a"&amp</b>')
    inventory.write_text(text.replace("host-a", "h<1>"), encoding="utf-8")
    html = run(cli, inventory, "-o", "-").stdout
    assert '<b>"a"&amp</b>' not in html and "h<1>" not in html
    assert "&lt;b&gt;&quot;a&quot;&amp;amp&lt;/b&gt;" in html and 'data-host="h&lt;1&gt;"' in html


def test_hosts_over_their_limit_are_highlighted(cli: CliRunner) -> None:
    result = run(cli, SAMPLE, "--cpu-limit", "50%", "--memory-limit", "70%", "-o", "-")
    assert result.exit_code == 0
    html = result.stdout
    over_cpu = ["esx01", "esx02", "esx03", "esx04"]
    for host in over_cpu:
        assert f'<section class="host bad" id="host-{host}"' in html
    assert '<section class="host" id="host-esx05"' in html
    assert "Over CPU limit</dt><dd>esx01, esx02, esx03, esx04</dd>" in html
    assert "Over memory limit</dt><dd>esx01</dd>" in html
    assert html.count('class="limit over"') == 4 and "limit 50%" in html


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (
            '{\n  "placement": {,\n}',
            "plan.json:2:17: error: not valid JSON: Expecting property name",
        ),
        (
            {"placement": {"web1": "esx01", "web01": "esx01"}},
            "plan.json:1:16: error: placement.web1: unknown VM 'web1' (did you mean 'web12'?)",
        ),
        ([], "plan.json:1:1: error: expected a JSON object (a plan of vmplan pack or evacuate)"),
    ],
)
def test_plan_errors_exit_2_with_positions(
    cli: CliRunner, tmp_path: Path, plan: object, expected: str
) -> None:
    text = plan if isinstance(plan, str) else json.dumps(plan)
    path = write_plan(tmp_path, text)
    result = run(cli, SAMPLE, "--plan", path.name)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert any(line.startswith(expected) for line in lines), result.stderr
    assert lines[-1].startswith("invalid input:")
    assert not (tmp_path / "vmplan-report.html").exists()


def test_a_missing_plan_file_exits_2(cli: CliRunner) -> None:
    result = run(cli, SAMPLE, "--plan", "nope.json")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "nope.json: error: cannot read the plan: No such file or directory"
    )


def test_an_invalid_inventory_exits_2(cli: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nhosts: 3\n", encoding="utf-8")
    result = run(cli, bad)
    assert result.exit_code == 2
    assert "bad.yaml:2:8: error: hosts:" in result.stderr
    assert not (tmp_path / "vmplan-report.html").exists()


def test_text_format_shows_sparklines(cli: CliRunner, tmp_path: Path) -> None:
    result = run(cli, SAMPLE, "--plan", SAMPLE_PLAN, "--format", "text")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80  # it was 167 with now and after side by side
    assert lines[0].split() == ["host", "limit", "VMs", "peak", "at", "mem", "CPU", "status"]
    hosts = lines[1:17]
    assert [line.split()[0] for line in hosts[::2]] == [f"esx0{i}" for i in range(1, 9)]
    assert [line.split()[2] for line in hosts[::2]] == ["now"] * 8
    assert [line.split()[0] for line in hosts[1::2]] == ["after"] * 8
    curves = [re.search("[▁▂▃▄▅▆▇█]+", line) for line in hosts[:8]]
    assert len({len(c.group()) for c in curves if c}) == 1 and curves[0]
    inv = load([SAMPLE]).inventory
    plan = read_plan(SAMPLE_PLAN.read_text(encoding="utf-8"), "plan.json", inv)
    fitted = report_text.fitting_width(report_model.build(inv, plan), 80)
    assert len(curves[0].group()) == fitted > report_text.MIN_SPARK_WIDTH
    prose = " ".join(" ".join(lines[18:]).split())  # the footer is wrapped at 80 columns
    assert prose.startswith("Curves: 24h, a block = the highest combined CPU of ")
    assert "Plan (pack): 8 -> 4 hosts (4 freed: esx04, esx05, esx06, esx08)" in prose
    assert not (tmp_path / "vmplan-report.html").exists()
    out = tmp_path / "report.txt"
    assert run(cli, SAMPLE, "--plan", SAMPLE_PLAN, "--format", "text", "-o", out).exit_code == 0
    assert out.read_text(encoding="utf-8") == result.stdout


def test_seed_golden_text_and_html(
    cli: CliRunner, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    (tmp_path / "seed.yaml").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    write_plan(tmp_path, SEED_PLAN)
    text = run(cli, "seed.yaml", "--plan", "plan.json", "--format", "text")
    assert text.exit_code == 0
    golden(request, "report-seed.txt", text.stdout)
    html = run(cli, "seed.yaml", "--plan", "plan.json", "-o", "-")
    assert html.exit_code == 0
    golden(request, "report-seed.html", html.stdout)


def test_an_evacuation_plan_shows_the_evacuated_host(cli: CliRunner, tmp_path: Path) -> None:
    doc = json.loads(SAMPLE_PLAN.read_text(encoding="utf-8"))
    placement = {vm: host for vm, host in doc["placement"].items()}
    moved = [vm for vm, host in placement.items() if host == "esx02"]
    placement.update({vm: "esx01" if i % 2 else "esx03" for i, vm in enumerate(moved)})
    plan = {
        "command": "evacuate",
        "feasible": True,
        "lower_bound": None,
        "placement": placement,
        "evacuated": ["esx02"],
        "migrations": [
            {"wave": 1, "vm": vm, "from": "esx02", "to": placement[vm], "seconds": 20.0}
            for vm in moved
        ],
    }
    html = run(cli, SAMPLE, "--plan", write_plan(tmp_path, plan), "-o", "-").stdout
    assert "<dt>Evacuated</dt><dd>esx02</dd>" in html
    assert "<dt>Fewest migrations</dt><dd>not proven</dd>" in html  # no host count to bound
    assert "Lower bound" not in html
    section = html[html.index('id="host-esx02"') :]
    section = section[: section.index("</section>")]
    assert '<span class="badge freed">evacuated</span>' in section
    assert '<div class="freed-box"><strong>Evacuated</strong>' in section


def test_an_infeasible_plan_says_so(cli: CliRunner, tmp_path: Path) -> None:
    plan = {
        "command": "pack",
        "feasible": False,
        "placement": json.loads(SAMPLE_PLAN.read_text(encoding="utf-8"))["placement"],
    }
    result = run(cli, SAMPLE, "--plan", write_plan(tmp_path, plan), "-o", "-")
    assert result.exit_code == 0
    assert '<p class="banner">The plan says no feasible placement exists' in result.stdout
    text = run(cli, SAMPLE, "--plan", tmp_path / "plan.json", "--format", "text").stdout
    assert text.rstrip().endswith("The plan is marked infeasible.")


def test_a_week_is_drawn_max_pooled_and_an_empty_host_has_no_peak(
    cli: CliRunner, tmp_path: Path
) -> None:
    week = [10.0] * 2016
    week[1234] = 97.0  # one 5-minute spike: it must survive the downsampling
    inventory = tmp_path / "week.yaml"
    inventory.write_text(
        "version: 1\ninterval: 5m\nstart: 2026-11-02T00:00:00Z\n"
        "hosts:\n  - {name: h1, cpus: 8, memory: 64GiB}\n  - {name: spare, cpus: 8, memory: 64GiB}\n"
        "vms:\n  - {name: v1, host: h1, vcpus: 8, memory: 8GiB, cpu: "
        f'"{" ".join(f"{v:g}" for v in week)}"}}\n',
        encoding="utf-8",
    )
    result = run(cli, inventory, "-o", "-")
    assert result.exit_code == 0, result.stderr
    html = result.stdout
    assert "each drawn point stands for up to 7 consecutive samples" in html
    assert "peak 97% at Fri 06:50" in html  # 1234 x 5 min after Monday midnight
    first = re.search(r'<path class="c\d+" data-vm="v1" d="M0 1000V(\d+)l([^V]*)V1000Z"', html)
    assert first is not None
    steps = first.group(2).replace("-", " -").split()
    assert len(steps) == 2 * 299  # 300 points drawn, not 2016
    spare = html[html.index('id="host-spare"') :]
    spare = spare[: spare.index("</section>")]
    assert "0 VMs · no VMs" in spare and 'class="peak"' not in spare
    text = run(cli, inventory, "--format", "text").stdout
    assert text.splitlines()[2].split()[:4] == ["spare", "100%", "0", "0%"]


@pytest.mark.parametrize("columns", [60, 80, 100, 200])
def test_on_a_terminal_the_curves_fit_its_width(columns: int) -> None:
    inv = load([SAMPLE]).inventory
    plan = read_plan(SAMPLE_PLAN.read_text(encoding="utf-8"), "plan.json", inv)
    console = Console(file=io.StringIO(), width=columns, color_system=None)
    report_text.rich_table(console, report_model.build(inv, plan))
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    table = lines[: 1 + 2 * len(inv.hosts)]  # a line "now" and a line "after" per host
    assert [line.split()[0] for line in table[1::2]] == [f"esx0{i}" for i in range(1, 9)]
    curve = max(len(m) for m in re.findall("[▁▂▃▄▅▆▇█]+", table[1]))
    if columns >= 80:
        assert max(len(line) for line in table) <= columns
    assert curve == report_text.fitting_width(report_model.build(inv, plan), columns)
    assert curve == {60: 8, 200: 48}.get(columns, curve)
    assert 8 < curve < 48 or columns not in (80, 100)


def test_an_output_that_is_a_directory_is_a_usage_error(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    result = run(cli, SEED, "-o", "out")
    assert result.exit_code == 2
    assert "cannot write out: it is a directory" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary file left


def test_summary_tiles_stay_short_for_large_fleets(monkeypatch: pytest.MonkeyPatch) -> None:
    report = report_model.build(load([SAMPLE]).inventory.with_limits(cpu=0.1))
    assert len(report.over_cpu("before")) == 8
    hosts = ", ".join(f"esx0{i}" for i in range(1, 9))
    assert f"<dt>Over CPU limit</dt><dd>{hosts}</dd>" in render_html.summary(report)
    monkeypatch.setattr(render_html, "SUMMARY_NAMES", 3)
    assert "<dt>Over CPU limit</dt><dd>esx01, esx02, esx03 and 5 more</dd>" in render_html.summary(
        report
    )


def test_a_plan_claiming_optimal_for_an_overloaded_placement_is_contradicted(
    cli: CliRunner, tmp_path: Path
) -> None:
    doc = json.loads(SAMPLE_PLAN.read_text(encoding="utf-8"))
    plan = {
        "command": "pack",
        "feasible": True,
        "optimal": True,
        "lower_bound": 1,
        "placement": {vm: "esx01" for vm in doc["placement"]},
    }
    path = write_plan(tmp_path, plan)
    html = run(cli, SAMPLE, "--plan", path, "-o", "-").stdout
    assert (
        "<li>the plan says proven optimal, but its placement is over a limit on esx01</li>" in html
    )
    assert '<div class="stat bad"><dt>Lower bound</dt><dd>1 host (claimed optimal: ' in html
    assert "(proven optimal)" not in html
    text = " ".join(run(cli, SAMPLE, "--plan", path, "--format", "text").stdout.split())
    assert "lower bound 1, claimed optimal," in text
    assert text.endswith(
        "Contradicted: the plan says proven optimal, but its placement is over a limit on esx01."
    )


def test_a_host_labelled_evacuated_that_still_holds_vms_is_contradicted(
    cli: CliRunner, tmp_path: Path
) -> None:
    doc = json.loads(SAMPLE_PLAN.read_text(encoding="utf-8"))
    today = {vm.name: vm.host for vm in load([SAMPLE]).inventory.vms}
    plan = {
        "command": "evacuate",
        "feasible": True,
        "optimal": True,
        "lower_bound": None,
        "placement": {vm: today[vm] for vm in doc["placement"]},
        "evacuated": ["esx02"],
    }
    path = write_plan(tmp_path, plan)
    html = run(cli, SAMPLE, "--plan", path, "-o", "-").stdout
    held = sum(1 for host in today.values() if host == "esx02")
    assert f"<li>the plan says esx02 is evacuated, but it still holds {held} VMs</li>" in html
    assert '<div class="stat bad"><dt>Evacuated</dt><dd>esx02 (still holds VMs)</dd>' in html
    assert f'<span class="badge bad">plan says evacuated, still holds {held} VMs</span>' in html
    assert '<span class="badge freed">evacuated</span>' not in html
    text = run(cli, SAMPLE, "--plan", path, "--format", "text").stdout
    assert f"plan says evacuated, still holds {held} VMs" in text


def test_each_vm_has_one_colour_class_in_every_chart_and_legend(
    cli: CliRunner, tmp_path: Path
) -> None:
    html = run(cli, SAMPLE, "--plan", SAMPLE_PLAN, "-o", "-").stdout
    seen: dict[str, set[str]] = {}
    for cls, vm in re.findall(r'class="([ck]\d+)" data-vm="([^"]+)"', html):
        seen.setdefault(vm, set()).add(cls[1:])
    for vm, key in re.findall(r'<li data-vm="([^"]+)"><i class="k(\d+)">', html):
        seen.setdefault(vm, set()).add(key)
    assert len(seen) > 20
    assert {vm: keys for vm, keys in seen.items() if len(keys) > 1} == {}


def test_the_vms_making_the_peak_are_named_and_other_stays_small() -> None:
    inv = load([SAMPLE]).inventory
    plan = read_plan(SAMPLE_PLAN.read_text(encoding="utf-8"), str(SAMPLE_PLAN), inv)
    report = report_model.build(inv, plan)
    for row in report.rows:
        for panel in (row.before, row.after):
            if panel is None or not panel.vms:
                continue
            other = [layer for layer in panel.layers if layer.vm < 0]
            if other:
                share = float(other[0].values[panel.peak_sample]) / panel.peak
                assert share <= report_model.OTHER_SHARE or len(panel.layers) > 12


def test_each_host_says_which_resource_binds_it(cli: CliRunner) -> None:
    html = run(cli, SAMPLE, "--plan", SAMPLE_PLAN, "-o", "-").stdout
    section = html[html.index('id="host-esx02"') :]
    section = section[: section.index("</section>")]
    assert re.search(
        r'<span class="binds">CPU binds: \d+% of its limit at \d\d:\d\d</span>', section
    )
    assert re.search(r'<span class="binds">memory binds: \d+% of its limit</span>', html)
    assert "<th>binds</th>" in html
