"""Compiled contract artifacts shipped inside the package.

``contracts/build.js`` writes ``artifacts/<Name>.json`` (ABI and bytecode) and
``artifacts/build-info.json`` (compiler version, settings, sha256 of every source). Reading them
needs no node and no compiler, so ``pip install`` users never see Solidity.

``CONTRACTS`` are the seven contracts ``deploy_system`` deploys; ``READERS`` are never deployed:
their creation code runs inside an ``eth_call`` (``BatchRead``, see ``multiread``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from defi_int.exceptions import ArtifactError

CONTRACTS = ("CollateralToken", "PriceOracle", "Vault", "VaultModule", "PerpAmm", "Settlement", "DeskShares")
READERS = ("BatchRead",)
SHIPPED = CONTRACTS + READERS


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str


def _read(filename: str) -> dict[str, Any]:
    try:
        text = resources.files("defi_int.chain").joinpath("artifacts", filename).read_text()
    except FileNotFoundError as exc:
        raise ArtifactError(
            f"contract artifact {filename} is missing from defi_int/chain/artifacts; run `make contracts`"
        ) from exc
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def load(name: str) -> Artifact:
    """The artifact of contract ``name`` (one of ``SHIPPED``)."""
    if name not in SHIPPED:
        raise ArtifactError(f"unknown contract {name!r}; known: {', '.join(SHIPPED)}")
    data = _read(f"{name}.json")
    return Artifact(name, data["abi"], data["bytecode"], data["deployedBytecode"])


@cache
def build_info() -> dict[str, Any]:
    """Compiler version, settings and source hashes the artifacts were built from."""
    return _read("build-info.json")
