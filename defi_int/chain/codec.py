"""Calldata and event logs of the shipped contracts, straight from their ABIs, without web3.

The hot path of a run (``System.settle``/``hedge``/``swap``/``set_price``, the keeper's events)
encodes and decodes through here: a ``Function`` or an ``Event`` is looked up once by contract and
name in the shipped artifact's ABI and keeps its selector or topic and its ``eth_abi`` types, so a
call costs only ``eth_abi``'s own work. Nothing is hard-coded: a function whose ABI changes (a new
field in ``Fill``, a new entry point) is encoded by its new ABI.

Values follow web3's conventions so callers can mix both: tuples in and out, addresses
checksummed on the way out, a single output returned bare.

``encode_abi`` is the ABI encoding itself (standard head/tail layout, every value range-checked as
eth_abi checks it), compiled once per type: eth_abi validates and dispatches its way to ~30 µs per
argument, which made calldata a tenth of a run. ``decode_abi`` decodes static elementary types
word by word and leaves anything else to eth_abi. A property test holds both equal to eth_abi.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import decode
from eth_abi.grammar import ABIType, BasicType, TupleType, parse
from eth_utils.crypto import keccak

from defi_int.chain import artifacts
from defi_int.chain.node import Log, checksum
from defi_int.exceptions import ArtifactError

Encoder = Callable[[Any], bytes]
_WORD = 32


def _word(value: int) -> bytes:
    return value.to_bytes(_WORD, "big")


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % _WORD)


def _elementary(t: BasicType) -> Encoder:
    base, bits = t.base, t.sub
    if base == "uint" or base == "int":
        size = int(bits)
        low, high = (0, 2**size) if base == "uint" else (-(2 ** (size - 1)), 2 ** (size - 1))

        def integer(value: Any) -> bytes:
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value < high:
                raise ValueError(f"{value!r} is not a {base}{size}")
            return (value % 2**256).to_bytes(_WORD, "big")

        return integer
    if base == "address":

        def address(value: Any) -> bytes:
            raw = bytes.fromhex(value[2:]) if isinstance(value, str) and value[:2] in ("0x", "0X") else value
            if not isinstance(raw, bytes) or len(raw) != 20:
                raise ValueError(f"{value!r} is not an address")
            return b"\0" * 12 + raw

        return address
    if base == "bool":

        def boolean(value: Any) -> bytes:
            if not isinstance(value, bool):
                raise ValueError(f"{value!r} is not a bool")
            return _word(int(value))

        return boolean
    if base == "bytes" and bits is not None:
        size = int(bits)

        def fixed_bytes(value: Any) -> bytes:
            if not isinstance(value, (bytes, bytearray)) or len(value) > size:
                raise ValueError(f"{value!r} is not a bytes{size}")
            return bytes(value).ljust(_WORD, b"\0")

        return fixed_bytes
    if base in ("bytes", "string"):

        def dynamic(value: Any) -> bytes:
            data = value.encode() if base == "string" and isinstance(value, str) else value
            if not isinstance(data, (bytes, bytearray)):
                raise ValueError(f"{value!r} is not {base}")
            return _word(len(data)) + _padded(bytes(data))

        return dynamic
    raise ValueError(f"no encoder for ABI type {t.base}{t.sub or ''}")


def _sequence(items: list[tuple[Encoder, bool]]) -> Encoder:
    """A tuple's (or a fixed array's) heads then tails; ``items``: each part's encoder and dynamism."""
    head_size = sum(_WORD if dynamic else 0 for _, dynamic in items)

    def encode_parts(values: Any) -> bytes:
        values = tuple(values)
        if len(values) != len(items):
            raise ValueError(f"{len(values)} values for {len(items)} ABI types")
        encoded = [encoder(value) for (encoder, _), value in zip(items, values, strict=True)]
        offset = head_size + sum(len(e) for e, (_, dynamic) in zip(encoded, items, strict=True) if not dynamic)
        heads, tails = [], []
        for part, (_, dynamic) in zip(encoded, items, strict=True):
            if dynamic:
                heads.append(_word(offset))
                tails.append(part)
                offset += len(part)
            else:
                heads.append(part)
        return b"".join(heads) + b"".join(tails)

    return encode_parts


def _encoder(t: ABIType) -> Encoder:
    if t.arrlist:
        item = t.item_type
        inner = _encoder(item)
        dimension = t.arrlist[-1]
        if dimension:
            return _sequence([(inner, item.is_dynamic)] * dimension[0])
        dynamic = item.is_dynamic

        def array(values: Any) -> bytes:
            values = list(values)
            return _word(len(values)) + _sequence([(inner, dynamic)] * len(values))(values)

        return array
    if isinstance(t, TupleType):
        return _sequence([(_encoder(c), c.is_dynamic) for c in t.components])
    assert isinstance(t, BasicType)
    return _elementary(t)


@cache
def _compiled(types: tuple[str, ...]) -> Encoder:
    return _sequence([(_encoder(t), t.is_dynamic) for t in (parse(x) for x in types)])


def encode_abi(types: tuple[str, ...], values: tuple[Any, ...] | list[Any]) -> bytes:
    """``values`` ABI-encoded as ``types`` (what eth_abi's ``encode`` gives, compiled once per type)."""
    try:
        return _compiled(tuple(types))(values)
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        raise ValueError(f"cannot encode {values!r} as ({','.join(types)}): {exc}") from exc


class _Irregular(Exception):
    """A word the fast decoder does not take as is (bad padding, out of range): eth_abi decides."""


def _word_decoder(t: BasicType) -> Callable[[bytes], Any] | None:
    size = int(t.sub) if t.sub is not None and not isinstance(t.sub, tuple) else 0
    if t.base == "uint":
        bound = 2**size

        def unsigned(word: bytes) -> int:
            value = int.from_bytes(word, "big")
            if value >= bound:
                raise _Irregular
            return value

        return unsigned
    if t.base == "int":
        low, high = -(2 ** (size - 1)), 2 ** (size - 1)

        def signed(word: bytes) -> int:
            value = int.from_bytes(word, "big", signed=True)
            if not low <= value < high:
                raise _Irregular
            return value

        return signed
    if t.base == "address":

        def address(word: bytes) -> str:
            if any(word[:12]):
                raise _Irregular
            return "0x" + word[12:].hex()

        return address
    if t.base == "bool":

        def boolean(word: bytes) -> bool:
            value = int.from_bytes(word, "big")
            if value > 1:
                raise _Irregular
            return value == 1

        return boolean
    if t.base == "bytes" and size == 32:
        return bytes
    return None


@cache
def _static_words(types: tuple[str, ...]) -> tuple[Callable[[bytes], Any], ...] | None:
    """Word decoders when every type is a static elementary one; None otherwise."""
    decoders = []
    for text in types:
        t = parse(text)
        decoder = _word_decoder(t) if isinstance(t, BasicType) and not t.arrlist else None
        if decoder is None:
            return None
        decoders.append(decoder)
    return tuple(decoders)


@cache
def _array_words(types: tuple[str, ...]) -> Callable[[bytes], Any] | None:
    """The word decoder of ``types`` when it is one dynamic array of a static elementary type."""
    if len(types) != 1:
        return None
    t = parse(types[0])
    if not isinstance(t, BasicType) or t.arrlist is None or len(t.arrlist) != 1 or t.arrlist[0]:
        return None
    return _word_decoder(t.item_type)


def decode_abi(types: tuple[str, ...], data: bytes) -> tuple[Any, ...]:
    """``data`` decoded as ``types`` (as eth_abi's ``decode``; static elementary types, and one
    array of them, word by word)."""
    types = tuple(types)
    words = _static_words(types)
    if words is not None and len(data) >= _WORD * len(words):
        try:
            return tuple(word(data[i * _WORD : (i + 1) * _WORD]) for i, word in enumerate(words))
        except _Irregular:
            pass
    item = _array_words(types)
    if item is not None and len(data) >= 2 * _WORD and int.from_bytes(data[:_WORD], "big") == _WORD:
        count = int.from_bytes(data[_WORD : 2 * _WORD], "big")
        if len(data) >= (2 + count) * _WORD:
            try:
                return (tuple(item(data[(2 + i) * _WORD : (3 + i) * _WORD]) for i in range(count)),)
            except _Irregular:
                pass
    return tuple(decode(types, data))


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
        return self.selector + encode_abi(self.inputs, args)

    def decode(self, data: bytes) -> Any:
        values = tuple(checksummed(t, v) for t, v in zip(self.outputs, decode_abi(self.outputs, data), strict=True))
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
            args[name] = checksummed(abi_type, decode_abi((abi_type,), topic)[0])
        values = decode_abi(tuple(t for _, t in self.data), log.data)
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
