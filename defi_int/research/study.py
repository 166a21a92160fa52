"""What a study is, written down: its overrides as columns, and the manifest that guards its directory.

**Overrides as data.** Every ``--set`` and grid value a study ran with is a column of its
``results.*`` and a line of its report. ``override_columns(overrides)`` turns ``key=value`` texts
into {key: value}, each value read as TOML reads it (``5`` an int, ``0.5`` a float, ``true`` a
bool; an array stays its text), keys in canonical form (``markets[0].volatility``); the last of a
key given twice wins, as in the scenario. ``as_override`` goes the other way for the Python API
(``{"keeper.fee_bps": 2}`` -> ``"keeper.fee_bps=2"``).

**The manifest.** ``study.json`` in a study's directory says which study it holds: the kind
(``sweep``, ``compare``, ``experiment``), the scenario (its path and a sha256 of its text), and
the overrides that make it this study (``--set``; a comparison's two policies; the toxicity
experiment's cases, each with the sha256 of its file). The grid, the seeds
and the experiment's paths are not part of it: a wider grid or more seeds resume the same study.
``claim(out, manifest, force)`` runs before anything else: a directory holding another study is
refused with one ``OutputError`` naming both, unless ``force`` (then the manifest is rewritten; the
ledger keeps every run, keyed by its own scenario text and overrides, so nothing is lost and
nothing of the other study enters this one's tables).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from defi_int.exceptions import OutputError, ScenarioError
from defi_int.metrics.output import write_atomic
from defi_int.sim.schema import parse_key_path, parse_value, render_key_path

MANIFEST = "study.json"


def canonical_key(key: str, source: str = "--set") -> str:
    """``" markets[0].volatility "`` -> ``"markets[0].volatility"``; a malformed key is a ``ScenarioError``."""
    try:
        return render_key_path(parse_key_path(key.strip()))
    except ValueError:
        raise ScenarioError(source, key.strip() or None, "not a key path (expected e.g. keeper.fee_bps)") from None


def override_value(text: str) -> Any:
    """An override's value as a table cell: TOML's scalar, or the text itself (arrays, tables, words)."""
    try:
        value = parse_value(text)
    except ValueError:
        return text.strip()
    return value if isinstance(value, bool | int | float | str) else text.strip()


def override_columns(overrides: Sequence[str], source: str = "--set") -> dict[str, Any]:
    """``["keeper.fee_bps=2", "steps=5"]`` -> ``{"keeper.fee_bps": 2, "steps": 5}`` (see the module docstring)."""
    columns: dict[str, Any] = {}
    for override in overrides:
        key, sep, value = override.partition("=")
        if not sep:
            raise ScenarioError(source, None, f"expected key=value, got {override!r}")
        name = canonical_key(key, source)
        columns.pop(name, None)
        columns[name] = override_value(value)
    return columns


def toml_text(value: Any) -> str:
    """A Python value as an override's text: ``True`` -> ``true``, ``[1, 2]`` -> ``[1,2]``, strings as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(toml_text(v) if not isinstance(v, str) else json.dumps(v) for v in value) + "]"
    return str(value)


def as_overrides(sets: Mapping[str, Any] | Sequence[str] | None) -> list[str]:
    """``{"keeper.fee_bps": 2}`` or ``["keeper.fee_bps=2"]`` -> ``["keeper.fee_bps=2"]``."""
    if sets is None:
        return []
    if isinstance(sets, Mapping):
        return [f"{key}={toml_text(value)}" for key, value in sets.items()]
    if isinstance(sets, str):
        return [sets]
    return list(sets)


def refuse_overlap(first: Sequence[str], second: Sequence[str], source: str) -> None:
    """A key in both ``first`` (``--set``) and ``second`` (the grid, a policy): one would silently win."""
    taken = set(override_columns(first))
    for key in override_columns(second, source):
        if key in taken:
            raise ScenarioError(source, key, "also given with --set; give each key in one place")


def file_digest(path: str | Path) -> str:
    """The SHA-256 of a scenario file's bytes, in hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifest(kind: str, scenario: str | Path, sets: Sequence[str], **more: Any) -> dict[str, Any]:
    """The identity of a study (see the module docstring)."""
    return {
        "study": kind,
        "scenario": str(scenario),
        "scenario_sha256": file_digest(scenario),
        "set": [f"{k}={v}" for k, v in _texts(sets).items()],
        **more,
    }


def _texts(overrides: Sequence[str]) -> dict[str, str]:
    """Canonical key -> value text, the last of a key winning."""
    out: dict[str, str] = {}
    for override in overrides:
        key, _, value = override.partition("=")
        name = canonical_key(key)
        out.pop(name, None)
        out[name] = value.strip()
    return out


def _describe(study: Mapping[str, Any]) -> str:
    sets = " ".join(f"--set {s}" for s in study.get("set", [])) or "no --set"
    more = "".join(f", {k} {' '.join(v) if isinstance(v, list) else v}" for k, v in study.items() if k in ("a", "b"))
    return f"a {study.get('study')} of {study.get('scenario')} with {sets}{more}"


def differs(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    keys = ("study", "scenario_sha256", "set", "a", "b", "experiment", "cases")
    return any(old.get(key) != new.get(key) for key in keys)


def claim(out: Path, study: Mapping[str, Any], force: bool) -> None:
    """Refuses ``out`` when it holds another study (unless ``force``); writes ``study.json``."""
    path = out / MANIFEST
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if isinstance(old, dict) and differs(old, study) and not force:
            raise OutputError(
                str(out),
                f"holds {_describe(old)}; this is {_describe(study)} "
                "(choose another --out, or --force to run this study there)",
            )
    write_atomic(path, (json.dumps(study, indent=2) + "\n").encode())
