"""Times as people read them: the zone of ``start`` or ``--tz``, the day on multi-day series, and
UTC in the data formats."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from builders import inventory
from typer.testing import CliRunner

from vmplan import timefmt
from vmplan.cli import app
from vmplan.render import charts

PARIS = timefmt.zone("Europe/Paris")
MONDAY = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday


def _inv(samples: int, start: datetime | None = MONDAY):  # type: ignore[no-untyped-def]
    return replace(inventory([(8, 64)], [(4, 8, [10.0] * samples, 0)]), start=start)


def test_a_day_prints_the_time_of_day_only() -> None:
    inv = _inv(288)
    assert timefmt.time_of_day(inv, 115) == "09:35"
    assert timefmt.sample_label(inv, 115) == "2026-11-02T09:35:00Z"


def test_more_than_a_day_prints_the_weekday_and_more_than_a_week_the_date() -> None:
    assert timefmt.time_of_day(_inv(289 * 3), 288 + 115) == "Tue 09:35"
    assert timefmt.time_of_day(_inv(288 * 9), 288 + 115) == "Nov 03 09:35"


def test_without_start_times_are_offsets_with_days_on_long_series() -> None:
    assert timefmt.time_of_day(_inv(288, None), 115) == "+9h35m"
    assert timefmt.time_of_day(_inv(288 * 3, None), 288 + 115) == "+1d9h35m"
    assert timefmt.sample_label(_inv(288, None), 115) == "sample 115 (+9h35m)"


def test_the_zone_of_start_is_kept_and_json_stays_utc() -> None:
    plus_one = timezone(timedelta(hours=1))
    inv = _inv(288, MONDAY.astimezone(plus_one))
    assert timefmt.time_of_day(inv, 115) == "10:35"
    assert timefmt.sample_label(inv, 115) == "2026-11-02T10:35:00+01:00"
    assert timefmt.iso_or_none(inv, 115) == "2026-11-02T09:35:00Z"


def test_a_named_zone_follows_daylight_saving() -> None:
    # 2026-10-25 01:00 UTC: Paris goes from +02:00 to +01:00
    inv = timefmt.in_zone(_inv(24, datetime(2026, 10, 24, 23, 0, tzinfo=UTC)), PARIS)
    assert replace(inv).start is not None
    hourly = replace(inv, interval_s=3600)
    assert [timefmt.time_of_day(hourly, s) for s in range(4)] == [
        "01:00",
        "02:00",
        "02:00",
        "03:00",
    ]
    assert timefmt.sample_label(hourly, 3) == "2026-10-25T03:00:00+01:00"


def test_tz_values() -> None:
    assert timefmt.zone("UTC") is UTC
    assert timefmt.zone("+05:30").utcoffset(None) == timedelta(hours=5, minutes=30)
    with pytest.raises(
        ValueError,
        match="expected a time zone such as Europe/Paris, UTC or "
        r"\+01:00, got 'Mars/Olympus'",
    ):
        timefmt.zone("Mars/Olympus")


def test_axis_midnights_are_the_zones_midnights() -> None:
    start = datetime(2026, 11, 2, tzinfo=PARIS)
    ticks = charts.time_ticks(charts.Frame(), 288 * 3, 300, start)
    assert [t.label for t in ticks][:3] == ["Nov 02", "12:00", "Nov 03"]


def _write_week(tmp_path: Path) -> Path:
    cpu = [10.0] * 2016
    cpu[1234] = 90.0
    path = tmp_path / "week.yaml"
    path.write_text(
        "version: 1\ninterval: 5m\nstart: 2026-11-02T00:00:00+01:00\n"
        "hosts:\n  - {name: h1, cpus: 8, memory: 64GiB}\n  - {name: h2, cpus: 8, memory: 64GiB}\n"
        "vms:\n  - {name: v1, host: h1, vcpus: 4, memory: 8GiB, cpu: "
        f'"{" ".join(f"{v:g}" for v in cpu)}"}}\n'
        f'  - {{name: v2, host: h2, vcpus: 2, memory: 8GiB, cpu: "{" ".join(["5"] * 2016)}"}}\n',
        encoding="utf-8",
    )
    return path


def test_pack_shows_the_weekday_in_the_zone_of_start_and_tz_changes_it(tmp_path: Path) -> None:
    week = _write_week(tmp_path)
    cli = CliRunner()
    text = cli.invoke(app, ["pack", str(week), "-f", "text", "--spare", "0"])
    assert text.exit_code == 0, text.output
    # sample 1234 is 4 days 6h50m after Monday 00:00 +01:00
    assert "host h1: VMs 1 -> 2, CPU peak 45% -> 46% at Fri 06:50" in text.stdout
    utc = cli.invoke(app, ["pack", str(week), "-f", "text", "--spare", "0", "--tz", "UTC"])
    assert "at Fri 05:50" in utc.stdout
    data = json.loads(
        cli.invoke(app, ["pack", str(week), "-f", "json", "--tz", "Asia/Tokyo"]).stdout
    )
    assert {h["cpu_peak_at"] for h in data["hosts"] if h["vms"]} >= {"2026-11-06T05:50:00Z"}


def test_a_bad_tz_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["pack", str(_write_week(tmp_path)), "--tz", "Mars/Olympus"])
    assert result.exit_code == 2
    said = " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())
    assert "expected a time zone such as Europe/Paris, UTC or +01:00, got 'Mars/Olympus'" in said


def test_evacuate_shows_peaks_and_the_quietest_window_in_the_chosen_zone() -> None:
    args = ["evacuate", "esx03", "-i", "samples/inventory.yaml", "-f", "text", "--risk", "none"]
    utc = CliRunner().invoke(app, args).stdout.splitlines()[-1]
    paris = CliRunner().invoke(app, [*args, "--tz", "Europe/Paris"]).stdout.splitlines()[-1]
    given = "; planned on the history as given"
    assert utc.endswith(f"at 17:55 (esx04); quietest time to run it 22:30-22:40 UTC{given}")
    assert paris.endswith(f"at 18:55 (esx04); quietest time to run it 23:30-23:40 CET{given}")
