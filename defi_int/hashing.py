"""keccak-256, Ethereum's hash, in C: ``keccak256(data)``.

eth-utils' ``keccak`` goes through eth-hash, which picks its pycryptodome backend whenever
pycryptodome is installed (eth-account needs it): 10 to 20 µs a hash, most of it ctypes and
argument checks. safe-pysha3's C keccak takes about one. A run hashes several times per order (its
EIP-712 digest when signed and again at intake, the signer's address, each transaction and its
sender, each block), so the hot paths hash here; both give the same bytes (tests/unit/test_hashing.py).
"""

from __future__ import annotations

from sha3 import keccak_256  # type: ignore[import-untyped]  # safe-pysha3 ships no types


def keccak256(data: bytes) -> bytes:
    """The keccak-256 digest of ``data`` (32 bytes)."""
    digest: bytes = keccak_256(data).digest()
    return digest


def address_of(public_key: bytes) -> str:
    """The lower-case 0x address of an uncompressed public key (64 bytes, without the 0x04 prefix)."""
    return "0x" + keccak256(public_key)[12:].hex()
