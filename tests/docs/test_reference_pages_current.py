"""The generated reference pages (docs/reference/) are what the code gives now: regenerating changes nothing.

Each page is written by ``defi_int.reference`` from the code that owns its table (the CLI's parser,
params.py and the keeper file's tables, the exceptions and reason codes, the report's fields, the
contracts' ABIs, the gas snapshot, the pytest plugin, the OpenAPI document). Change the code, then
``make docs``.
"""

from __future__ import annotations

import re
from pathlib import Path

from defi_int.reference import PAGES, render, stale, write

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def test_no_committed_reference_page_is_stale() -> None:
    assert stale(DOCS) == [], "stale reference pages: run make docs"


def test_every_page_under_reference_is_generated_and_says_so() -> None:
    written = {path.relative_to(DOCS).as_posix() for path in (DOCS / "reference").rglob("*.md")}
    handwritten = written - set(PAGES)
    assert not handwritten, handwritten
    assert all("make docs" in text for text in render().values())


def test_regenerating_into_an_empty_directory_writes_every_page(tmp_path: Path) -> None:
    assert sorted(write(tmp_path)) == sorted(PAGES)
    assert stale(tmp_path) == []


def test_the_exception_tree_lists_every_exception_the_package_declares() -> None:
    """The page walks the tree of the modules it imports; a branch declared elsewhere must be imported too."""
    bases: dict[str, str] = {}
    for source in (ROOT / "defi_int").rglob("*.py"):
        for name, base in re.findall(r"^class (\w+)\((?:\w+\.)?(\w+)\b", source.read_text(), re.M):
            bases[name] = base
    tree = {"DefiIntError"}
    while grown := {name for name, base in bases.items() if base in tree} - tree:
        tree |= grown
    page = (DOCS / "reference" / "errors.md").read_text()
    missing = sorted(name for name in tree if f"`{name}`" not in page)
    assert len(tree) > 10 and not missing, missing


def test_every_compiled_contract_and_every_generated_page_is_in_the_site() -> None:
    """A contract added to the artifacts needs its line in ``contracts.CONTRACTS``; a page, in mkdocs.yml's nav."""
    from defi_int.reference.contracts import CONTRACTS

    artifacts = {p.stem for p in (ROOT / "defi_int" / "chain" / "artifacts").glob("*.json")} - {"build-info"}
    assert artifacts == set(CONTRACTS)
    nav = (ROOT / "mkdocs.yml").read_text()
    assert [page for page in PAGES if f" {page}\n" not in nav] == []
