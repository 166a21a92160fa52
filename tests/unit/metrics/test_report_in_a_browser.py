"""The run report in a real browser (headless Chromium), offline: every chart draws, the fills table sorts and filters.

``.ci/run`` installs Debian's chromium; on a machine without it the test is skipped, except under CI
(``CI=true``), where a missing browser fails it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from defi_int.metrics import write_report

PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push(String(e.message)); });
window.addEventListener("load", function () {
  var box = document.querySelector("div.dt"), heads = box.querySelectorAll("th");
  var size = [].find.call(heads, function (t) { return t.textContent === "size"; });
  size.click(); size.click();  // descending
  var sizes = [].map.call(box.querySelectorAll("tbody tr"), function (r) { return r.cells[7].textContent; });
  size.click();  // ascending, then keep only the internal legs: the order must survive the filter
  var filter = box.querySelector("input"); filter.value = "internal"; filter.dispatchEvent(new Event("input"));
  var kinds = [].map.call(box.querySelectorAll("tbody tr"), function (r) {
    return r.cells[3].textContent + " " + r.cells[7].textContent;
  });
  var charts = [].map.call(document.querySelectorAll("div.plotly-graph-div"), function (d) {
    return [d.id, d.querySelectorAll(".main-svg").length];
  });
  var out = document.createElement("pre"); out.id = "probe";
  out.textContent = JSON.stringify({sizes: sizes, kinds: kinds, charts: charts, errors: window.__errors,
    sorted: size.className, info: box.querySelector(".dt-bar span").textContent});
  document.body.append(out);
});
</script></body>"""


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def test_the_report_draws_every_chart_and_sorts_and_filters_its_fills_offline(sample_result, tmp_path: Path) -> None:
    browser = _chromium()
    paths = write_report(sample_result, tmp_path / "report")
    page = tmp_path / "probe.html"
    page.write_text(paths["report.html"].read_text().replace("</body>", PROBE))
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom", page.as_uri(),
    ]  # fmt: skip
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found is not None, dom[-2000:]
    probe = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert probe["errors"] == []
    assert probe["sizes"] == ["1", "0.5", "0.5"] and probe["sorted"] == "asc"
    assert probe["kinds"] == ["noise 0.5", "informed 1"] and probe["info"] == "1–2 of 2 rows (filtered from 3)"
    charts = dict(probe["charts"])
    assert set(charts) == {
        f"chart-{c}" for c in ("pnl", "pnl-waterfall", "prices", "inventory", "markouts", "deviation", "nav")
    }
    assert all(count > 0 for count in charts.values()), charts  # plotly drew each one, from the embedded script
