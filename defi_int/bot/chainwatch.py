"""Watching the head: which blocks the loop has seen, and whether the chain went back on them.

``HeadWatch`` keeps the hash of every block the loop saw as the head or mined a settle in, within
``window`` blocks of the head. ``observe(head)`` says where the chain forked from what it saw:

- the head extends what was seen (its parent is the last head, or the block the watch knows at
  the highest number at or below it still has the same hash): no fork, one request at most;
- otherwise the watch walks down the numbers it knows, asking the node for each, until a hash
  matches: the fork is the block after it (conservatively the first unknown block above the last
  match; unwinding a settle that was in fact still canonical is harmless, its receipt books it
  again). A head below the last one seen (``evm_revert``, ``anvil_rollback``) is the same case.

A reorg is therefore never mistaken for a dead node: the node answered, with other blocks. After
``forget(fork)`` the watch holds only blocks below the fork. A watch that knows nothing (a fresh
start) is seeded with the blocks the journal's recent settles were mined in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from defi_int.chain.node import Block


class HeadWatch:
    """See the module docstring; ``fetch(number)`` reads a block from the node by number."""

    def __init__(self, fetch: Callable[[int], Block | None], window: int) -> None:
        self._fetch = fetch
        self.window = window
        self._hashes: dict[int, bytes] = {}
        self.head: Block | None = None

    def remember(self, number: int, block_hash: bytes) -> None:
        """Records that block ``number`` had ``block_hash`` (a head seen, or a settle's block)."""
        self._hashes[number] = block_hash

    def knows(self, number: int, block_hash: bytes) -> bool:
        """Whether ``block_hash`` is the block at ``number`` as far as the watch followed the chain."""
        return self._hashes.get(number) == block_hash

    def seed(self, blocks: Iterable[tuple[int, bytes]]) -> None:
        for number, block_hash in blocks:
            self.remember(number, block_hash)

    def observe(self, head: Block) -> int | None:
        """The first block no longer canonical among those seen, or None; ``head`` is remembered."""
        fork = self._fork(head)
        if fork is not None:
            self.forget(fork)
        self.head = head
        self.remember(head.number, head.hash)
        self._prune(head.number)
        return fork

    def forget(self, fork: int) -> None:
        """Drops every block at or above ``fork``."""
        for number in [n for n in self._hashes if n >= fork]:
            del self._hashes[number]

    def _fork(self, head: Block) -> int | None:
        gone = head.number + 1 if any(n > head.number for n in self._hashes) else None  # a head that went back
        known = self._hashes.get(head.number)
        if known is not None:
            return gone if known == head.hash else self._walk(head.number)
        if self._hashes.get(head.number - 1) == head.parent_hash:
            return gone
        below = [n for n in self._hashes if n < head.number]
        if not below:
            return gone
        top = max(below)
        block = self._fetch(top)
        if block is not None and block.hash == self._hashes[top]:
            return gone
        return self._walk(top)

    def _walk(self, start: int) -> int:
        """Walks down the known numbers from ``start`` (not canonical) to the last that still is."""
        fork = start
        for number in sorted((n for n in self._hashes if n < start), reverse=True):
            block = self._fetch(number)
            if block is not None and block.hash == self._hashes[number]:
                return number + 1
            fork = number
        return fork

    def _prune(self, head: int) -> None:
        for number in [n for n in self._hashes if n < head - self.window]:
            del self._hashes[number]
