"""Many view calls in one ``eth_call``: the deployless multicall.

Why: on the embedded chain every ``eth_call`` costs ~12 ms of web3 and eth-tester work before any
contract code runs, and a snapshot of the ledger takes a few views per trader. Read one by one,
the views of a 100-order batch took seconds; read together, only the views' own execution is left
(1.5-3.5 ms per view on py-evm, far less on a real node).

How: ``BatchRead`` (``contracts/utils/BatchRead.sol``) is a contract made of nothing but a
constructor, and it is never deployed. An ``eth_call`` without ``to`` whose data is its creation
code with the calls appended makes the node run that constructor as if deploying it: it
``staticcall``s every target in turn and returns the results as the code it would deploy. The node
hands that back as the call's output and throws the would-be contract away. Nothing lands on
chain, no address is needed, it works on any node and at any block, and all the reads of one call
see the same state.

Data flow, in ``read_many``::

    Read(target, signature, args, returns)
      -> calldata (4-byte selector + eth_abi arguments)
      -> record: a word holding calldata length and target, the calldata padded to words (96
         bytes for one argument), in chunks that fit EIP-3860's 49,152-byte creation-code limit
      -> Chain.eth_call(creation code + records + their byte length), one per chunk
      -> result: length word, return data padded to words (64 bytes for one word); only a prefix
         of the chunk when the rest would pass EIP-170's 24,576-byte output limit, the rest going
         into the next call
      -> each result decoded with its read's ``returns`` types, dynamic ones included

On revm (a node that versions its state, ``Node.state_version``) each read's output is kept in
``Chain.latest_reads`` until the state changes, and only the reads not yet made on this state run:
the liquidator's look, the keeper's snapshot and the runner's end-of-step read of one step share
the market reads they have in common. A node others may change keeps nothing.

About 380 one-argument, one-word reads fit one call. The format is ``BatchRead``'s own, not the
ABI's: on py-evm every opcode costs ~10 us, and the constructor walking fixed-layout words in
assembly spends ~50 opcodes per read where Solidity's ABI decoding of ``(address,bytes)[]`` took
~500, more than the views themselves.

Failures keep the package's exception tree: a reverting view surfaces as its own decoded
``ContractRevert`` (``BatchRead`` wraps it as ``ReadReverted(index, reason)``; the wrapper is peeled
off and the read named in a note), a read of an address without code as ``BatchRead``'s ``NoCode``
``ContractRevert``, and a node that does not answer as ``NodeUnavailable``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from eth_abi.exceptions import DecodingError
from eth_abi.grammar import normalize, parse
from eth_utils.crypto import keccak

from defi_int.chain import artifacts
from defi_int.chain.backend import Chain
from defi_int.chain.codec import checksummed, decode_abi, encode_abi
from defi_int.chain.errors import decode_revert
from defi_int.chain.node import BlockId
from defi_int.exceptions import ChainError, ContractRevert

#: EIP-3860: the largest creation code (``BatchRead``'s code plus its argument) a node runs.
MAX_INITCODE_SIZE = 49_152
#: EIP-170: the largest code a constructor may return, hence the largest output of one call.
MAX_OUTPUT_SIZE = 24_576
#: Gas for one batched call, shared by all its reads: far above what ~380 views take (a few
#: million), and no more than common block gas limits (anvil's default is 30 million).
READ_GAS = 30_000_000


#: Decoders of views that return one (u)int256 word: every 32-byte word is a valid one.
_ONE_WORD: dict[tuple[str, ...], Callable[[bytes], int]] = {
    ("uint256",): lambda word: int.from_bytes(word, "big"),
    ("int256",): lambda word: int.from_bytes(word, "big", signed=True),
}


@dataclass(frozen=True)
class Read:
    """One view call: ``target.signature(*args)``, decoded as ``returns``.

    ``signature`` is the canonical function signature, ``"position(address,uint32)"``; ``returns``
    lists the ABI types of the values the view returns, dynamic ones included (``("uint32[]",)``).
    """

    target: str
    signature: str
    args: tuple[Any, ...] = ()
    returns: tuple[str, ...] = ("uint256",)

    def calldata(self) -> bytes:
        selector, types = _layout(self.signature)
        return selector + encode_abi(types, self.args) if types else selector

    def decoded(self, data: bytes) -> Any:
        """The view's return ``data`` decoded: one value, or a tuple when it returns several."""
        word = _ONE_WORD.get(self.returns)
        if word is not None and len(data) == 32:  # most views: one integer word, any 32 bytes valid
            return word(data)
        try:
            values = decode_abi(self.returns, data)
        except DecodingError as exc:
            raise ChainError(f"{self} returned {len(data)} bytes that do not decode as {self.returns}: {exc}") from exc
        values = tuple(checksummed(t, v) for t, v in zip(self.returns, values, strict=True))
        return values[0] if len(values) == 1 else values

    def __str__(self) -> str:
        args = ", ".join(map(repr, self.args))
        name = self.signature[: self.signature.index("(")]
        return f"{name}({args}) on {self.target}"


def read_many(chain: Chain, reads: Iterable[Read], *, block: BlockId = "latest", gas: int = READ_GAS) -> list[Any]:
    """The decoded value of every read, in order, in as few ``eth_call``s as fit (see the module).

    On a node that versions its state, reads of the latest state already made on the same state
    are taken from ``Chain.latest_reads`` and only the others run."""
    reads = list(reads)
    records = [_record(read.target, read.signature, read.args) for read in reads]
    memo = chain.latest_reads() if block == "latest" else None
    if memo is None:
        outputs = _outputs(chain, records, reads, block, gas)
    else:
        missing = {record: read for record, read in zip(records, reads, strict=True) if record not in memo}
        memo.update(zip(missing, _outputs(chain, list(missing), list(missing.values()), block, gas), strict=True))
        outputs = [memo[record] for record in records]
    return [read.decoded(data) for read, data in zip(reads, outputs, strict=True)]


# ----------------------------------------------------------------- internals


@cache
def creation_code() -> bytes:
    """``BatchRead``'s creation code, from the shipped artifact."""
    return bytes.fromhex(artifacts.load("BatchRead").bytecode.removeprefix("0x"))


@cache
def _layout(signature: str) -> tuple[bytes, tuple[str, ...]]:
    """The selector and the canonical argument types of ``signature``."""
    name, _, rest = signature.partition("(")
    if not name or not rest.endswith(")"):
        raise ValueError(f"not a function signature: {signature!r}")
    types: tuple[str, ...] = ()
    if rest != ")":
        types = tuple(normalize(c.to_type_str()) for c in parse("(" + rest).components)  # type: ignore[no-untyped-call]
    return keccak(text=f"{name}({','.join(types)})")[:4], types


def _words(size: int) -> int:
    return (size + 31) // 32 * 32


@lru_cache(maxsize=1 << 16)
def _record(target_address: str, signature: str, args: tuple[Any, ...]) -> bytes:
    """A read as ``BatchRead`` takes it: a word of calldata length and target, then the calldata
    (cached by plain tuple: a run asks the same views of the same accounts step after step)."""
    read = Read(target_address, signature, args)
    calldata = read.calldata()
    if len(read.target) != 42:
        raise ValueError(f"{read}: the target is not a 20-byte address")
    target = int(read.target, 16)
    head = (len(calldata) << 160 | target).to_bytes(32, "big")
    return head + calldata.ljust(_words(len(calldata)), b"\0")


def _fit(records: Sequence[bytes], start: int) -> int:
    """The end of the longest run of ``records`` from ``start`` that fits EIP-3860 with the code."""
    size = len(creation_code()) + 32  # the trailing length word
    end = start
    while end < len(records) and size + len(records[end]) <= MAX_INITCODE_SIZE:
        size += len(records[end])
        end += 1
    if end == start:
        raise ChainError(f"a read's calldata of {len(records[start]) - 32} bytes does not fit one call")
    return end


def _outputs(chain: Chain, records: list[bytes], reads: Sequence[Read], block: BlockId, gas: int) -> list[bytes]:
    """Every record's raw output, in order, in as few ``eth_call``s as fit."""
    outputs: list[bytes] = []
    while len(outputs) < len(records):
        start = len(outputs)
        results = _run(chain, records[start : _fit(records, start)], reads[start:], block, gas)
        if not results:
            raise ChainError(f"{reads[start]} returns more than one call's {MAX_OUTPUT_SIZE:,} bytes of output")
        outputs.extend(results)
    return outputs


def _run(chain: Chain, records: list[bytes], reads: Sequence[Read], block: BlockId, gas: int) -> list[bytes]:
    """One ``eth_call`` of ``BatchRead`` over ``records`` (``reads`` name them in errors)."""
    body = b"".join(records)
    try:
        output = chain.eth_call(creation_code() + body + len(body).to_bytes(32, "big"), gas=gas, block=block)
    except ContractRevert as exc:
        if exc.contract != "BatchRead":
            raise
        read = reads[exc.args_by_name["index"]]
        if exc.error_name == "ReadReverted":
            inner = decode_revert(exc.args_by_name["reason"])
            inner.add_note(f"while reading {read}")
            raise inner from exc
        exc.add_note(f"while reading {read}")
        raise
    results = []
    position = 0
    while position < len(output):
        length = int.from_bytes(output[position : position + 32], "big")
        results.append(output[position + 32 : position + 32 + length])
        position += 32 + _words(length)
    return results
