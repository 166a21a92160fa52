"""``Order`` and ``Fill``, the Python twins of the Solidity structs (field order is the ABI order)."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

from eth_utils.address import is_checksum_address

from defi_int.exceptions import OrderRejected
from defi_int.reasons import Reason

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
#: Checking an EIP-55 checksum hashes the address; a service sees few traders, many orders each.
_is_checksum = lru_cache(maxsize=1 << 16)(is_checksum_address)
_UINT_BITS = {"market": 32, "size": 128, "limit_price": 128, "expiry": 64, "nonce": 256, "max_fee_bps": 16}


@dataclass(frozen=True)
class Order:
    """A trader's signed instruction; see DESIGN "The signed order"."""

    trader: str
    market: int
    is_buy: bool
    size: int
    limit_price: int
    expiry: int
    nonce: int
    max_fee_bps: int
    allow_amm: bool

    def __post_init__(self) -> None:
        if not (isinstance(self.trader, str) and _ADDRESS.fullmatch(self.trader)):
            raise OrderRejected(
                Reason.MALFORMED, f"trader must be a 0x-prefixed 20-byte hex address, got {self.trader!r}"
            )
        mixed_case = self.trader[2:] not in (self.trader[2:].lower(), self.trader[2:].upper())
        if mixed_case and not _is_checksum(self.trader):
            raise OrderRejected(Reason.MALFORMED, f"trader {self.trader} has a wrong EIP-55 checksum")
        for name, bits in _UINT_BITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise OrderRejected(Reason.MALFORMED, f"{name} must be an integer, got {type(value).__name__}")
            if not 0 <= value < 2**bits:
                raise OrderRejected(Reason.MALFORMED, f"{name}={value} does not fit uint{bits}")
        for name in ("is_buy", "allow_amm"):
            if not isinstance(getattr(self, name), bool):
                raise OrderRejected(Reason.MALFORMED, f"{name} must be a bool")

    def as_tuple(self) -> tuple[Any, ...]:
        """The ABI tuple for web3 (``astuple``'s, field by field: it copies recursively, ten times slower)."""
        return (
            self.trader, self.market, self.is_buy, self.size, self.limit_price, self.expiry, self.nonce,
            self.max_fee_bps, self.allow_amm,
        )  # fmt: skip

    def as_message(self) -> dict[str, Any]:
        """The EIP-712 message, with the Solidity field names."""
        return {
            "trader": self.trader,
            "market": self.market,
            "isBuy": self.is_buy,
            "size": self.size,
            "limitPrice": self.limit_price,
            "expiry": self.expiry,
            "nonce": self.nonce,
            "maxFeeBps": self.max_fee_bps,
            "allowAmm": self.allow_amm,
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> Order:
        """Parses an EIP-712 message (Solidity names); a missing or extra field is rejected."""
        names = ("trader", "market", "isBuy", "size", "limitPrice", "expiry", "nonce", "maxFeeBps", "allowAmm")
        missing = [n for n in names if n not in message]
        extra = [n for n in message if n not in names]
        if missing or extra:
            raise OrderRejected(Reason.MALFORMED, f"order fields missing {missing} / unexpected {extra}")
        return cls(*(message[n] for n in names))


@dataclass(frozen=True)
class Fill:
    """The keeper's decision for one order in a batch."""

    order: Order
    signature: bytes
    internal_size: int
    internal_price: int
    amm_size: int
    fee_bps: int

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.order.as_tuple(),
            self.signature,
            self.internal_size,
            self.internal_price,
            self.amm_size,
            self.fee_bps,
        )

    @property
    def amount(self) -> int:
        return self.internal_size + self.amm_size


ORDER_FIELDS = tuple(f.name for f in fields(Order))
