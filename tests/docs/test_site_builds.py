"""The documentation site builds with ``mkdocs build --strict``, offline, and the README is its front door.

--strict turns every warning into a failure: a link to a missing page or anchor, a page left out
of the navigation. The build runs with every proxy pointed at a closed port, so a plugin or theme
that fetched anything would fail it, and the pages it writes load nothing from the network.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLOSED = "http://127.0.0.1:9"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_site_builds_strict_and_offline(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.update({name: CLOSED for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")})
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    pages = list(site.rglob("*.html"))
    assert len(pages) > 30 and (site / "reference" / "parameters" / "index.html").is_file()
    fetched = [
        f"{page.relative_to(site)}: {url}"
        for page in pages
        for url in re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=\"(https?://[^\"]+)", page.read_text())
    ]
    assert not fetched, "\n".join(fetched)


def test_the_readme_is_a_front_door_whose_links_stay_in_the_clone() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 170
    broken = []
    for target in LINK.findall(readme):
        if target.startswith(("http://", "https://", "#")):
            continue
        path = (ROOT / target.split("#", 1)[0]).resolve()
        if not path.is_relative_to(ROOT) or not path.exists():
            broken.append(target)
    assert not broken, broken
    for guide in ("docs/quant/index.md", "docs/operator/index.md", "docs/developer/index.md", "docs/design.md"):
        assert f"]({guide})" in readme


def test_every_make_target_is_in_the_contributing_page() -> None:
    phony = re.search(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert phony is not None
    page = " ".join((ROOT / "docs" / "contributing.md").read_text().split())
    missing = [target for target in phony.group(1).split() if f"`make {target}`" not in page]
    assert not missing, missing
