"""Calldata and event logs of the shipped contracts, straight from their ABIs, without web3.

The hot path of a run (``System.settle``/``hedge``/``swap``/``set_price``, the keeper's events)
encodes and decodes through here: a ``Function`` or an ``Event`` is looked up once by contract and
name in the shipped artifact's ABI and keeps its selector or topic and its ``eth_abi`` types, so a
call costs only ``eth_abi``'s own work. Nothing is hard-coded: a function whose ABI changes (a new
field in ``Fill``, a new entry point) is encoded by its new ABI.

Values follow web3's conventions so callers can mix both: tuples in and out, addresses
checksummed on the way out, a single output returned bare.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak

from defi_int.chain import artifacts
from defi_int.chain.node import Log, checksum
from defi_int.exceptions import ArtifactError


def type_string(param: dict[str, Any]) -> str:
    """The canonical ABI type of one ABI parameter (tuples spelled out)."""
    if param["type"].startswith("tuple"):
        inner = ",".join(type_string(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


def checksummed(abi_type: str, value: Any) -> Any:
    """``value`` of ``abi_type`` with its addresses checksummed (eth_abi decodes them lowercase)."""
    if abi_type == "address":
        return checksum(value)
    if abi_type.startswith("address[") and abi_type.endswith("]"):
        return tuple(checksum(v) for v in value)
    return value


@dataclass(frozen=True)
class Function:
    """One contract function: ``encode(*args)`` its calldata, ``decode(output)`` its return data."""

    contract: str
    name: str
    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def encode(self, *args: Any) -> bytes:
        return self.selector + encode(self.inputs, args)

    def decode(self, data: bytes) -> Any:
        values = tuple(checksummed(t, v) for t, v in zip(self.outputs, decode(self.outputs, data), strict=True))
        return values[0] if len(values) == 1 else values


@dataclass(frozen=True)
class Event:
    """One contract event: ``decode(log)`` gives its arguments by name."""

    contract: str
    name: str
    topic: bytes
    indexed: tuple[tuple[str, str], ...]  # (name, type) of each indexed input, in order
    data: tuple[tuple[str, str], ...]  # (name, type) of the others

    def matches(self, log: Log) -> bool:
        return bool(log.topics) and log.topics[0] == self.topic

    def decode(self, log: Log) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for (name, abi_type), topic in zip(self.indexed, log.topics[1:], strict=True):
            args[name] = checksummed(abi_type, decode([abi_type], topic)[0])
        values = decode([t for _, t in self.data], log.data)
        for (name, abi_type), value in zip(self.data, values, strict=True):
            args[name] = checksummed(abi_type, value)
        return args

    def in_logs(self, logs: tuple[Log, ...] | list[Log], address: str | None = None) -> list[dict[str, Any]]:
        """The decoded arguments of every such event in ``logs`` (emitted by ``address``, if given)."""
        return [
            self.decode(log)
            for log in logs
            if self.matches(log) and (address is None or log.address.lower() == address.lower())
        ]


def _item(contract: str, kind: str, name: str) -> dict[str, Any]:
    found = [i for i in artifacts.load(contract).abi if i["type"] == kind and i["name"] == name]
    if len(found) != 1:
        raise ArtifactError(f"{contract} has {len(found)} {kind}s named {name!r}, expected exactly one")
    return found[0]


@cache
def function(contract: str, name: str) -> Function:
    """``contract``'s function ``name`` (one of the shipped artifacts; overloads are refused)."""
    item = _item(contract, "function", name)
    inputs = tuple(type_string(p) for p in item["inputs"])
    outputs = tuple(type_string(p) for p in item.get("outputs", []))
    selector = keccak(text=f"{name}({','.join(inputs)})")[:4]
    return Function(contract, name, selector, inputs, outputs)


@cache
def event(contract: str, name: str) -> Event:
    """``contract``'s event ``name``."""
    item = _item(contract, "event", name)
    types = [type_string(p) for p in item["inputs"]]
    topic = keccak(text=f"{name}({','.join(types)})")
    indexed = tuple((p["name"], t) for p, t in zip(item["inputs"], types, strict=True) if p["indexed"])
    data = tuple((p["name"], t) for p, t in zip(item["inputs"], types, strict=True) if not p["indexed"])
    return Event(contract, name, topic, indexed, data)
