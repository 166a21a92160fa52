"""Keccak-256 (Ethereum's, not SHA3-256), as fast as the libraries already installed allow.

``keccak256(data)`` calls pycryptodome's compiled Keccak directly on a state kept per thread
(reset, absorb, digest): the same C code ``eth_utils.keccak`` reaches through a new hash object per
call, without building that object, which cost more than the hashing itself (intake hashes an order
three times: its struct, its digest, the signer's key). Where that library is not the compiled one,
``eth_utils.keccak`` is used. A test holds the two equal on inputs of every length around the
136-byte block.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from eth_utils.crypto import keccak as _slow

__all__ = ["keccak256"]


def _compiled() -> Callable[[bytes], bytes] | None:
    try:
        from ctypes import c_size_t, c_ubyte, create_string_buffer

        from Crypto.Hash.keccak import _raw_keccak_lib as lib  # type: ignore[attr-defined]
        from Crypto.Util._raw_api import VoidPointer
    except (ImportError, AttributeError):  # pragma: no cover - another pycryptodome layout
        return None
    local = threading.local()
    rate, rounds, padding, size = c_size_t(64), c_ubyte(24), c_ubyte(0x01), c_size_t(32)

    def state() -> tuple[Any, Any]:
        pointer = VoidPointer()
        if lib.keccak_init(pointer.address_of(), rate, rounds):
            raise RuntimeError("keccak_init failed")
        local.state = (pointer, pointer.get(), create_string_buffer(32))  # the pointer object keeps it alive
        return local.state[1], local.state[2]

    def keccak256(data: bytes) -> bytes:
        found = getattr(local, "state", None)
        handle, out = (found[1], found[2]) if found is not None else state()
        lib.keccak_reset(handle)
        lib.keccak_absorb(handle, data, c_size_t(len(data)))
        lib.keccak_digest(handle, out, size, padding)
        return bytes(out.raw)

    return keccak256 if keccak256(b"") == _slow(b"") else None


def _fallback(data: bytes) -> bytes:
    return bytes(_slow(data))


keccak256: Callable[[bytes], bytes] = _compiled() or _fallback
