"""Decoding of contract reverts into ``ContractRevert`` exceptions, the same on every backend.

Every custom error of every shipped ABI is indexed by its 4-byte selector. A revert reaches us in
one of two shapes: eth-tester raises ``eth_tester.exceptions.TransactionFailed`` whose message
holds the raw bytes (``"execution reverted: b'...'"``), and a JSON-RPC node makes web3 raise
``ContractLogicError`` with the data as hex. ``revert_data`` gets the bytes out of either;
``decode_revert`` turns them into a typed exception naming the error and its arguments.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache

from eth_abi.abi import decode as abi_decode
from eth_tester.exceptions import TransactionFailed as EthTesterTransactionFailed
from eth_utils.crypto import keccak
from web3.exceptions import ContractLogicError

from defi_int.chain import artifacts
from defi_int.chain.codec import type_string
from defi_int.exceptions import ContractRevert, TransactionFailed

_PANIC_SELECTOR = keccak(text="Panic(uint256)")[:4]
_ERROR_SELECTOR = keccak(text="Error(string)")[:4]
_PANIC_CODES = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division by zero",
    0x21: "invalid enum value",
    0x31: "pop on empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to a zero-initialized function",
}


@dataclass(frozen=True)
class ErrorAbi:
    contract: str
    name: str
    names: tuple[str, ...]
    types: tuple[str, ...]


@cache
def error_index() -> dict[bytes, ErrorAbi]:
    """Selector -> error, over every shipped contract's ABI."""
    index: dict[bytes, ErrorAbi] = {}
    for name in artifacts.SHIPPED:
        for item in artifacts.load(name).abi:
            if item["type"] != "error":
                continue
            types = tuple(type_string(p) for p in item["inputs"])
            selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
            names = tuple(p["name"] or f"arg{i}" for i, p in enumerate(item["inputs"]))
            index.setdefault(selector, ErrorAbi(name, item["name"], names, types))
    return index


def revert_data(exc: BaseException) -> bytes | None:
    """The raw revert bytes carried by a backend's exception, if any."""
    if isinstance(exc, ContractLogicError):
        data = exc.data
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            return bytes.fromhex(data[2:])
        return None
    if isinstance(exc, EthTesterTransactionFailed):
        message = str(exc.args[0]) if exc.args else ""
        match = re.search(r"(b'.*'|b\".*\")\s*$", message, re.S)
        if match:
            value = ast.literal_eval(match.group(1))
            if isinstance(value, bytes):
                return value
        return None
    return None


def decode_revert(data: bytes, tx_hash: str | None = None) -> TransactionFailed:
    """A typed exception for revert ``data``: ``ContractRevert`` for known custom errors and panics."""
    selector, body = data[:4], data[4:]
    known = error_index().get(selector)
    if known is not None:
        values = abi_decode(list(known.types), body)
        return ContractRevert(known.name, dict(zip(known.names, values, strict=True)), known.contract, tx_hash)
    if selector == _PANIC_SELECTOR and len(body) == 32:
        code = int.from_bytes(body, "big")
        return ContractRevert("Panic", {"code": code, "meaning": _PANIC_CODES.get(code, "unknown")}, "EVM", tx_hash)
    if selector == _ERROR_SELECTOR:
        (reason,) = abi_decode(["string"], body)
        return ContractRevert("Error", {"reason": reason}, "EVM", tx_hash)
    if not data:
        return TransactionFailed("reverted without data (out of gas, or a call to a non-contract)", tx_hash)
    return TransactionFailed(f"reverted with unknown data 0x{data.hex()}", tx_hash)
