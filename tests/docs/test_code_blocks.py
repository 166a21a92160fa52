"""Every code block of the README and of the site (``docs/**/*.md``) runs, as docs/contributing.md says.

Each page is one test: its blocks run in the order they appear, in a fresh directory holding the
checkout's ``scripts/``, ``examples/`` and ``.venv``. ``sh`` runs in bash with the venv first on ``PATH``,
``python`` is executed (a page's blocks share their names), ``toml`` is loaded as a scenario or a
keeper file, ``json`` parsed, ``solidity`` checked against the compiled ABIs, ``text`` is output or a
synopsis. ``<!-- not run: why -->`` or ``<!-- tested: tests/... -->`` on the line before a block
says why this test leaves it alone; the generated reference pages are checked by regeneration
instead (test_reference_pages_current.py), their ``solidity`` blocks here too.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
KINDS = {"sh", "python", "toml", "json", "solidity", "text"}
FENCE = re.compile(r"^```(\S*)\n(.*?)^```\n", re.S | re.M)
MARK = re.compile(r"<!-- (not run|tested): (.+?) -->\n\Z", re.S)
KEEPER_TABLES = {"keeper", "bot", "api", "breakers"}


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    kind: str
    code: str
    mark: str | None  # "not run" or "tested"
    why: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()]
        mark = MARK.search(before)
        found.append(
            Block(
                page,
                before.count("\n") + 1,
                match.group(1),
                match.group(2),
                mark.group(1) if mark else None,
                mark.group(2).strip() if mark else "",
            )
        )
    return found


def generated(page: Path) -> bool:
    return page.is_relative_to(DOCS / "reference")


def abi_functions() -> set[str]:
    names = set()
    for artifact in (ROOT / "defi_int" / "chain" / "artifacts").glob("*.json"):
        data = json.loads(artifact.read_text())
        for entry in data.get("abi", []) if isinstance(data, dict) else []:
            if entry.get("type") == "function":
                names.add(entry["name"])
    return names


def test_every_block_says_what_it_is_and_why_it_does_not_run():
    problems = []
    for page in PAGES:
        for block in blocks(page):
            if block.kind not in KINDS:
                problems.append(f"{block.where}: a ```{block.kind} block; say one of {sorted(KINDS)}")
            if block.mark and not block.why:
                problems.append(f"{block.where}: <!-- {block.mark}: --> needs a reason")
            if block.mark == "tested":
                path = ROOT / block.why.split()[0]
                named = path.is_file() and (
                    block.code.rstrip() == path.read_text().rstrip() or str(page.relative_to(ROOT)) in path.read_text()
                )
                if not named:
                    problems.append(f"{block.where}: {block.why.split()[0]} neither is this block nor names this page")
    assert not problems, "\n".join(problems)
    assert len(PAGES) > 30


def test_the_solidity_blocks_declare_functions_the_contracts_have():
    known = abi_functions()
    missing = [
        f"{block.where}: {name}"
        for page in PAGES
        for block in blocks(page)
        if block.kind == "solidity"
        for name in re.findall(r"\bfunction\s+(\w+)\s*\(", block.code)
        if name not in known
    ]
    assert known and not missing, "\n".join(missing)


def _sh(block: Block, where: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + block.code],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{block.where}: exit {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"


def _python(block: Block, names: dict[str, object], where: Path) -> None:
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.chdir(where):
            exec(compile(block.code, block.where, "exec"), names)
    except Exception as exc:
        raise AssertionError(f"{block.where}: {type(exc).__name__}: {exc}\n{printed.getvalue()[-2000:]}") from exc


def _toml(block: Block, where: Path) -> None:
    from defi_int.bot.config import load_keeper_file
    from defi_int.sim.scenario import load_scenario

    tables = set(tomllib.loads(block.code))
    path = where / f"block-{block.line}.toml"
    path.write_text(block.code)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if tables <= KEEPER_TABLES:
            load_keeper_file(path)
        else:
            load_scenario(path)


def _run(page: Path, where: Path) -> int:
    for name in ("scripts", "examples", ".venv"):
        if (ROOT / name).exists():
            (where / name).symlink_to(ROOT / name)
    names: dict[str, object] = {"__name__": "__docs__"}
    ran = 0
    for block in blocks(page):
        if block.mark:
            continue
        if block.kind == "sh":
            _sh(block, where)
        elif block.kind == "python":
            _python(block, names, where)
        elif block.kind == "toml":
            _toml(block, where)
        elif block.kind == "json":
            json.loads(block.code)
        else:
            continue
        ran += 1
    return ran


RUNNABLE = [
    page
    for page in PAGES
    if not generated(page) and any(b.kind in {"sh", "python", "toml", "json"} and not b.mark for b in blocks(page))
]


@pytest.mark.parametrize("page", RUNNABLE, ids=[str(p.relative_to(ROOT)) for p in RUNNABLE])
def test_the_page_s_blocks_run(page: Path, tmp_path: Path) -> None:
    assert _run(page, tmp_path) > 0
