"""The outcome report as HTML, opened in a real headless Chromium (from the system packages; CI installs it).

The page must open with no network access. A copy of it is opened with a
Content-Security-Policy that lets nothing outside the file load, and a script
that writes down every load the policy blocks (``securitypolicyviolation``) and
every resource the page did load (Resource Timing): both lists must be empty (a
control page that loads an image from a web address fills the first). The same
script writes each chart's box into the document, read with ``--dump-dom``; a
screenshot of that layout must show a drawn chart in each box: not blank, many
colours. (A proxy cannot tell the page's requests from Chromium's own, which a
headless Chromium still sends to its vendor.)
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

import leadspec
from _browser import GUARD, chromium as _chromium, run_chromium
from conftest import ROOT, cli

pytest.importorskip("plotly")
Image = pytest.importorskip("PIL.Image")

SAMPLE = ROOT / "examples" / "x-education-sample.csv"
AS_OF = "2026-11-01"
WIDTH = 1200



PROBE = """
<script>
window.addEventListener("load", function () {
  setTimeout(function () {
    var boxes = Array.prototype.map.call(document.querySelectorAll(".chart"), function (el) {
      var r = el.getBoundingClientRect();
      return {x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height, svg: el.querySelectorAll("svg").length};
    });
    var loaded = performance.getEntriesByType("resource").map(function (e) { return e.name; });
    var out = document.createElement("pre");
    out.id = "probe";
    out.textContent = JSON.stringify({boxes: boxes, height: document.documentElement.scrollHeight, blocked: window.__blocked, loaded: loaded});
    document.body.appendChild(out);
  }, 500);
});
</script>
"""


def _probe(browser: str, text: str, where: Path) -> tuple[dict, Path]:
    """Open ``text`` guarded and probed: what the probe wrote, and the probed page."""
    page = where / "probe.html"
    page.write_text(text.replace("<head>", "<head>" + GUARD, 1).replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = run_chromium(browser, page, "--dump-dom", width=WIDTH)
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, re.S)
    assert found, f"the page did not finish loading in Chromium: {dom.stderr[-2000:]}"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&")), page


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rules = leadspec.load(ROOT / "rules" / "x-education.yaml")
    with open(SAMPLE, encoding="utf-8", newline="") as handle:
        report = leadspec.report(rules, csv.DictReader(handle), outcome="Converted", feedback="Tags", as_of=AS_OF)
    page = tmp_path_factory.mktemp("html") / "report.html"
    page.write_text(report.to_html(), encoding="utf-8")
    return page


def test_the_page_names_no_outside_file(report_page: Path) -> None:
    text = report_page.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link\b", text)
    assert not re.search(r"<img\b|@import|url\(\s*['\"]?https?:", text)
    assert text.count("<script") >= 5  # plotly.js inline and one script a chart


def test_the_guard_sees_a_page_that_loads_from_the_web(tmp_path: Path) -> None:
    page = '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><img src="https://example.com/logo.png"></body></html>'
    found, _ = _probe(_chromium(), page, tmp_path)
    assert any("example.com" in blocked for blocked in found["blocked"]), found


def test_the_page_opens_in_chromium_with_its_charts_drawn_and_no_request(report_page: Path, tmp_path: Path) -> None:
    browser = _chromium()
    found, probe = _probe(browser, report_page.read_text(encoding="utf-8"), tmp_path)
    assert found["blocked"] == [] and found["loaded"] == [], found
    boxes = found["boxes"]
    assert len(boxes) == 5  # funnel, outcome rate, criteria, two scores
    assert all(box["svg"] >= 1 and box["h"] > 300 for box in boxes), boxes
    shot = tmp_path / "shot.png"
    done = run_chromium(browser, probe, f"--screenshot={shot}", width=WIDTH, height=int(found["height"]) + 10)
    assert shot.exists(), done.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size[0] == WIDTH
    for box in boxes:
        region = image.crop((int(box["x"]), int(box["y"]), int(box["x"] + box["w"]), int(box["y"] + box["h"])))
        colours = region.getcolors(maxcolors=1 << 20) or []
        drawn = sum(count for count, colour in colours if colour != (255, 255, 255))
        assert len(colours) > 20, f"a chart at {box} has {len(colours)} colours: blank"
        assert drawn > 0.03 * region.size[0] * region.size[1], f"a chart at {box} is mostly white"


def test_the_command_writes_html_from_the_extension(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, out, err = cli("report", ROOT / "rules" / "x-education.yaml", SAMPLE, "--outcome", "Converted", "--as-of", AS_OF, "-o", target)
    assert (code, out, err) == (0, "", "")
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Outcome report: x-education" in text
