"""The head watch: a chain that grows is no fork; a replaced block, a reorg below unseen blocks and a
chain that went backwards are found, at the first block that is no longer canonical."""

from __future__ import annotations

from defi_int.bot.chainwatch import HeadWatch
from defi_int.chain.node import Block


class Chain:
    """Blocks by number, each with a hash made of its number and its branch."""

    def __init__(self, height: int) -> None:
        self.blocks: list[Block] = []
        self.fetched: list[int] = []
        for _ in range(height + 1):
            self.grow("a")

    def grow(self, branch: str) -> Block:
        number = len(self.blocks)
        parent = self.blocks[-1].hash if self.blocks else b"\0" * 32
        block = Block(number, f"{branch}{number}".encode().ljust(32, b"."), parent, 1_000 + number, 30_000_000, 0, 7)
        self.blocks.append(block)
        return block

    def reorg(self, depth: int, branch: str, *, grow: int | None = None) -> Block:
        del self.blocks[len(self.blocks) - depth :]
        for _ in range(depth if grow is None else grow):
            self.grow(branch)
        return self.blocks[-1]

    def fetch(self, number: int) -> Block | None:
        self.fetched.append(number)
        return self.blocks[number] if number < len(self.blocks) else None


def watching(chain: Chain) -> HeadWatch:
    watch = HeadWatch(chain.fetch, window=64)
    assert watch.observe(chain.blocks[-1]) is None
    return watch


def test_a_head_that_extends_what_was_seen_is_no_fork_and_costs_no_request():
    chain = Chain(10)
    watch = watching(chain)
    assert watch.observe(chain.grow("a")) is None
    assert chain.fetched == []


def test_a_head_many_blocks_later_is_checked_against_the_last_block_seen_with_one_request():
    chain = Chain(10)
    watch = watching(chain)
    for _ in range(5):
        chain.grow("a")
    assert watch.observe(chain.blocks[-1]) is None
    assert chain.fetched == [10]


def test_a_reorg_is_found_at_the_first_replaced_block_seen():
    chain = Chain(10)
    watch = watching(chain)
    for _ in range(4):
        watch.observe(chain.grow("a"))  # heads 11..14 seen
    head = chain.reorg(3, "b", grow=4)  # 12, 13, 14 replaced; 15 new

    assert watch.observe(head) == 12


def test_a_reorg_below_unseen_blocks_is_found_no_later_than_the_first_unseen_block():
    chain = Chain(10)
    watch = watching(chain)
    watch.remember(7, chain.blocks[7].hash)  # a settle's block
    head = chain.reorg(5, "b")  # 6..10 replaced

    fork = watch.observe(head)

    assert fork is not None and fork <= 7


def test_a_chain_that_went_backwards_forks_above_its_new_head():
    chain = Chain(10)
    watch = watching(chain)
    for _ in range(3):
        watch.observe(chain.grow("a"))  # up to 13
    head = chain.reorg(3, "a", grow=0)  # evm_revert: back to 10, the same block 10

    assert watch.observe(head) == 11


def test_after_a_fork_the_watch_forgets_the_lost_blocks_and_follows_the_new_branch():
    chain = Chain(10)
    watch = watching(chain)
    watch.observe(chain.grow("a"))
    assert watch.observe(chain.reorg(2, "b")) == 10
    assert watch.observe(chain.grow("b")) is None
