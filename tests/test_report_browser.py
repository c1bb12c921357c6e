"""The sample report in a real browser: headless Chromium draws every host's chart.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it). Without it the test is skipped
on a workstation but fails under CI (``CI=true``), so that CI can never pass by not looking.
The screenshot is checked with the standard library and numpy only (no Pillow): the PNG's rows are
unfiltered exactly and must show many colours, the report's palette, and content from top to bottom.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vmplan.cli import app

TESTS = Path(__file__).resolve().parent
SAMPLE = TESTS.parent / "samples" / "inventory.yaml"
PLAN = TESTS / "data" / "report" / "sample-plan.json"
HOSTS = [f"esx0{i}" for i in range(1, 9)]
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442"]
TIMEOUT_S = 120

pytestmark = pytest.mark.browser


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    message = "headless Chromium is needed: apt-get install -y chromium (.ci/run installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(app, ["report", str(SAMPLE), "--plan", str(PLAN), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_every_hosts_chart_is_in_the_rendered_dom(report: Path, tmp_path: Path) -> None:
    dom = run_chromium(tmp_path, "--dump-dom", report.as_uri()).stdout.decode()
    figures = re.findall(r'<figure class="(chart[^"]*)" data-host="([^"]+)" data-side="(\w+)"', dom)
    drawn = [(host, side) for cls, host, side in figures if cls == "chart"]
    freed = [host for cls, host, side in figures if cls == "chart freed"]
    assert [host for host, side in drawn if side == "before"] == HOSTS
    assert sorted([host for host, side in drawn if side == "after"] + freed) == HOSTS
    assert len(freed) == 4
    assert len(re.findall(r'<svg class="chart-svg"', dom)) == len(drawn) == 12
    # every chart carries its stacked areas, its limit line and its peak marker
    for svg in re.findall(r'<svg class="chart-svg".*?</svg>', dom, re.DOTALL):
        assert re.search(r'<path class="c\d+" data-vm="[^"]+" d="M', svg)
        assert svg.count('class="limit') == 1 and svg.count('class="peak"') == 1


def test_the_screenshot_is_not_blank(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1400,3000", report.as_uri())
    (width, height), rows = png_rows(shot.read_bytes())
    assert (width, height) == (1400, 3000)
    pixels = np.concatenate(list(rows.values()))[:, :3].astype(np.int64)
    colours = set(np.unique(pixels[:, 0] << 16 | pixels[:, 1] << 8 | pixels[:, 2]).tolist())
    assert len(colours) > 200, "too few colours: is anything drawn?"
    palette = {int(c[1:], 16) for c in PALETTE}
    assert len(palette & colours) >= 4, "the chart colours are missing"
    ink = {y for y, row in rows.items() if (row[:, :3] < 200).any()}
    for third in range(3):  # content from the top of the page to the bottom
        band = range(third * height // 3, (third + 1) * height // 3)
        assert len(ink.intersection(band)) > 50, f"no content in third {third + 1} of the page"


def png_rows(data: bytes) -> tuple[tuple[int, int], dict[int, np.ndarray]]:
    """Exact pixels of a PNG's rows, by row index; stdlib zlib and struct plus numpy.

    Rows filtered with None, Sub, or Up after a known row unfilter with whole-row numpy
    operations; Average and Paeth need the pixel to their left, one at a time, so when those make
    up nearly all of an image every row is decoded along anti-diagonals instead (slower, exact).
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    assert header is not None, "no IHDR chunk"
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unexpected PNG kind {header}"
    bpp = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    rows = raw.reshape(height, width * bpp + 1)
    out: dict[int, np.ndarray] = {}
    prev: np.ndarray | None = np.zeros(width * bpp, dtype=np.uint8)
    for y in range(height):
        kind, line = int(rows[y, 0]), rows[y, 1:]
        if kind == 0:
            prev = line.copy()
        elif kind == 1:
            prev = np.cumsum(line.reshape(-1, bpp), axis=0, dtype=np.uint8).ravel()
        elif kind == 2 and prev is not None:
            prev = line + prev
        else:
            prev = None
        if prev is not None:
            out[y] = prev.reshape(width, bpp)
    if len(out) < height // 20:
        full = _unfilter_all(rows, width, height, bpp)
        out = {y: full[y] for y in range(height)}
    return (width, height), out


def _unfilter_all(rows: np.ndarray, width: int, height: int, bpp: int) -> np.ndarray:
    """Every row, along anti-diagonals: pixel (r, j) needs only (r, j-1), (r-1, j), (r-1, j-1)."""
    kinds = rows[:, 0].astype(np.int32)
    filtered = rows[:, 1:].reshape(height, width, bpp).astype(np.int32)
    out = np.zeros((height + 1, width + 1, bpp), dtype=np.int32)  # zeros above and to the left
    for d in range(height + width - 1):
        r = np.arange(max(0, d - width + 1), min(height - 1, d) + 1)
        j = d - r
        a, b, c = out[r + 1, j], out[r, j + 1], out[r, j]
        p = a + b - c
        pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
        paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
        k = kinds[r][:, None]
        pred = np.select([k == 1, k == 2, k == 3, k == 4], [a, b, (a + b) >> 1, paeth], 0)
        out[r + 1, j + 1] = (filtered[r, j] + pred) & 255
    return out[1:, 1:].astype(np.uint8)


def test_png_rows_agree_with_the_full_decoder() -> None:
    """The fast path and the anti-diagonal decoder give the same pixels (all five filters)."""
    rng = np.random.default_rng(3)
    width, height, bpp = 7, 12, 3
    kinds = np.array([1, 2, 4, 3, 1, 0, 2, 2, 4, 1, 2, 0], dtype=np.uint8)
    body = rng.integers(0, 256, (height, width * bpp), dtype=np.uint8)
    rows = np.column_stack([kinds, body])
    full = _unfilter_all(rows, width, height, bpp)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I4s", len(payload), kind) + payload + b"\0\0\0\0"
        for kind, payload in (
            (b"IHDR", ihdr),
            (b"IDAT", zlib.compress(rows.tobytes())),
            (b"IEND", b""),
        )
    )
    _, fast = png_rows(png)
    assert sorted(fast) == [0, 1, 4, 5, 6, 7, 9, 10, 11]
    for y, row in fast.items():
        assert np.array_equal(row, full[y])
    # a Paeth row by hand: its first pixel has no left neighbour, so it predicts from above
    assert np.array_equal(full[2, 0], (body[2, :3].astype(int) + full[1, 0]) % 256)


#: Appended to a copy of the report (the report itself runs no script): Chromium computes the
#: colour of every VM's layer and legend swatch and writes them into the DOM it dumps.
PROBE = """<script>
const out = [];
for (const el of document.querySelectorAll("path[data-vm]")) {
  const host = el.closest("figure").dataset.host + "/" + el.closest("figure").dataset.side;
  out.push([el.dataset.vm, host, "area", getComputedStyle(el).fill]);
}
for (const el of document.querySelectorAll("li[data-vm] > i")) {
  const fig = el.closest("figure");
  const host = fig.dataset.host + "/" + fig.dataset.side;
  out.push([el.parentElement.dataset.vm, host, "legend", getComputedStyle(el).backgroundColor]);
}
const pre = document.createElement("pre");
pre.id = "probe";
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


def test_one_vm_has_one_colour_in_every_chart_it_appears_in(report: Path, tmp_path: Path) -> None:
    probed = tmp_path / "probed.html"
    probed.write_text(
        report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    dom = run_chromium(tmp_path, "--dump-dom", probed.as_uri()).stdout.decode()
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found is not None
    seen = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    colours: dict[str, set[str]] = {}
    charts: dict[str, set[str]] = {}
    for vm, chart, _kind, colour in seen:
        colours.setdefault(vm, set()).add(colour)
        charts.setdefault(vm, set()).add(chart)
    assert {vm for vm, where in charts.items() if len(where) >= 2}  # followed from now to after
    assert {vm: c for vm, c in colours.items() if len(c) != 1} == {}
    used = {c for cs in colours.values() for c in cs}
    assert "rgb(187, 187, 187)" not in used  # grey is only ever "other"
    assert len(used) >= 8
