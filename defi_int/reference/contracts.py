"""reference/contracts/<Contract>.md: each shipped contract's functions, events and custom errors.

Read from the compiled artifacts (``defi_int/chain/artifacts/<Name>.json``): the ABI gives every
signature, solc's NatSpec output (``userdoc``: ``@notice``; ``devdoc``: ``@dev``, ``@param``,
``@return``, inherited through ``@inheritdoc`` from the interfaces where the documentation lives)
gives the words. An error's reason code is ``Reason.of_error`` (the one vocabulary).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from defi_int.reference.markdown import banner, cell, table

#: The shipped contracts, in the order a reader meets them (the deployed ones, then the reader).
CONTRACTS: tuple[str, ...] = (
    "Settlement",
    "Vault",
    "VaultModule",
    "DeskShares",
    "PerpAmm",
    "PriceOracle",
    "CollateralToken",
    "BatchRead",
)


def natspec(text: str | None) -> str:
    """NatSpec as Markdown: wrapped lines joined, ``- item`` lines kept as a list."""
    if not text:
        return ""
    parts = re.split(r"\s{2,}- ", text.strip())
    head = " ".join(parts[0].split())
    items = [" ".join(p.split()) for p in parts[1:]]
    return head + ("\n\n" + "\n".join(f"- {item}" for item in items) if items else "")


def _type(param: dict[str, Any]) -> str:
    internal = str(param.get("internalType", param["type"]))
    for prefix in ("struct ", "contract ", "enum "):
        if internal.startswith(prefix):
            internal = internal[len(prefix) :]
    return internal.split(".")[-1]


def _params(params: list[dict[str, Any]], *, indexed: bool = False) -> str:
    shown = []
    for p in params:
        words = [_type(p)]
        if indexed and p.get("indexed"):
            words.append("indexed")
        if p.get("name"):
            words.append(p["name"])
        shown.append(" ".join(words))
    return ", ".join(shown)


def _selector_key(entry: dict[str, Any]) -> str:
    """The canonical signature solc keys NatSpec by: ``name(type,...)`` with tuples spelled out."""

    def canonical(p: dict[str, Any]) -> str:
        kind = str(p["type"])
        if kind.startswith("tuple"):
            return "(" + ",".join(canonical(c) for c in p["components"]) + ")" + kind[len("tuple") :]
        return kind

    return f"{entry['name']}({','.join(canonical(p) for p in entry.get('inputs', []))})"


def _doc_list(doc: dict[str, Any], key: str, names: list[str]) -> list[str]:
    described = doc.get(key, {})
    return [f"- `{name}`: {natspec(described[name])}" for name in names if name in described]


def _function(entry: dict[str, Any], user: dict[str, Any], dev: dict[str, Any]) -> list[str]:
    key = _selector_key(entry)
    signature = f"function {entry['name']}({_params(entry.get('inputs', []))})"
    mutability = entry.get("stateMutability", "nonpayable")
    signature += " external" + ("" if mutability == "nonpayable" else f" {mutability}")
    if entry.get("outputs"):
        signature += f" returns ({_params(entry['outputs'])})"
    udoc, ddoc = user.get("methods", {}).get(key, {}), dev.get("methods", {}).get(key, {})
    lines = [f"### `{entry['name']}`", "", "```solidity", signature + ";", "```", ""]
    for text in (udoc.get("notice"), ddoc.get("details")):
        if text:
            lines += [natspec(text), ""]
    params = _doc_list(ddoc, "params", [p.get("name", "") for p in entry.get("inputs", [])])
    returns = _doc_list(ddoc, "returns", [p.get("name", "") or f"_{i}" for i, p in enumerate(entry["outputs"])])
    if params or returns:
        lines += [*params, *returns, ""]
    return lines


def _event(entry: dict[str, Any], user: dict[str, Any], dev: dict[str, Any]) -> list[str]:
    key = _selector_key(entry)
    signature = f"event {entry['name']}({_params(entry['inputs'], indexed=True)});"
    lines = [f"### `{entry['name']}`", "", "```solidity", signature, "```", ""]
    for text in (user.get("events", {}).get(key, {}).get("notice"), dev.get("events", {}).get(key, {}).get("details")):
        if text:
            lines += [natspec(text), ""]
    return lines


def _errors(abi: list[dict[str, Any]], user: dict[str, Any]) -> list[str]:
    from defi_int.reasons import Reason

    rows = []
    for entry in sorted((e for e in abi if e["type"] == "error"), key=lambda e: e["name"]):
        notes = user.get("errors", {}).get(_selector_key(entry), [{}])
        reason = Reason.of_error(entry["name"])
        rows.append(
            (
                f"`{entry['name']}({cell(_params(entry['inputs']))})`",
                f"[`{reason.code}`](../errors.md#reason-codes)",
                natspec(notes[0].get("notice", "")),
            )
        )
    return [*table(("error", "reason", "thrown when"), rows), ""] if rows else ["None.", ""]


def page_for(name: str) -> Callable[[], str]:
    """The page writer of contract ``name``."""

    def page() -> str:
        from defi_int.chain.artifacts import READERS, load

        artifact = load(name)
        user, dev = artifact.userdoc, artifact.devdoc
        intro = []
        if user.get("notice"):
            intro.append(natspec(user["notice"]))
        if dev.get("details"):
            intro.append(natspec(dev["details"]))
        if name in READERS:
            intro.append("Never deployed: its creation code runs inside an `eth_call` (`defi_int/chain/multiread.py`).")
        lines = banner(name, f"`defi_int/chain/artifacts/{name}.json` (its ABI and NatSpec)", "\n\n".join(intro))
        abi = artifact.abi
        constructor = [e for e in abi if e["type"] == "constructor"]
        functions = sorted((e for e in abi if e["type"] == "function"), key=lambda e: (e["name"], _selector_key(e)))
        events = sorted((e for e in abi if e["type"] == "event"), key=lambda e: e["name"])
        if constructor:
            lines += ["## Constructor", "", "```solidity", f"constructor({_params(constructor[0]['inputs'])})"]
            lines += ["```", ""]
        lines += ["## Functions", ""]
        for entry in functions:
            lines += _function(entry, user, dev)
        lines += ["## Events", ""]
        for entry in events:
            lines += _event(entry, user, dev)
        if not events:
            lines += ["None.", ""]
        lines += ["## Errors", "", "Every revert is one of these custom errors; the reason column is the code the "
                  "keeper, the journal and the API use for it (`Reason.of_error`).", ""]  # fmt: skip
        lines += _errors(abi, user)
        return "\n".join(lines).rstrip() + "\n"

    return page
