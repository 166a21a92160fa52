"""Books and nonce words live at one-hash slots (keccak256(key ‖ key ‖ namespace)) in the Vault: the
namespaces written out in the contracts are the hashes of their names, and the words found there are
what the views report. A book word is position (int88), cash (int88), funding mark (48 bits) and, in
its top 32 bits, the trader's cached block of 8 nonces in that market's namespace (its index, then
two bits a nonce); the trader's 128-nonce words hold the rest."""

from eth_utils.crypto import keccak

from defi_int.types import ONE


def _slot(*words: bytes) -> int:
    return int.from_bytes(keccak(b"".join(words)), "big")


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _signed(value: int, bits: int) -> int:
    return value - 2**bits if value >= 2 ** (bits - 1) else value


def _storage(s, slot: int) -> int:
    return int.from_bytes(s.chain.w3.eth.get_storage_at(s.vault.address, slot), "big")


def test_a_book_word_is_position_cash_mark_and_the_nonce_block_at_its_one_hash_slot(
    defi_system, defi_traders, defi_orders
):
    s, trader = defi_system, defi_traders[0]
    defi_orders.settle([defi_orders.fill(trader, size=3 * ONE + 5, nonce=10)])  # block 1, position 2
    slot = _slot(_word(int(trader.address, 16)), _word(0), keccak(text="DefiInt.books"))
    word = _storage(s, slot)
    assert _signed(word & (2**88 - 1), 88) == s.chain.call(s.vault.functions.position(trader.address, 0)) == 3 * ONE + 5
    assert _signed((word >> 88) & (2**88 - 1), 88) == s.chain.call(s.vault.functions.cash(trader.address))
    assert (word >> 176) & (2**48 - 1) == s.chain.call(s.vault.functions.fundingMarkOf(trader.address, 0))
    assert (word >> 224) & 0xFFFF == 1  # the cached block: nonces 8..15
    assert (word >> (240 + 4)) & 3 == 2 == s.chain.call(s.settlement.functions.nonceState(trader.address, 10))


def test_a_nonce_outside_the_cached_block_is_in_its_128_nonce_word(defi_system, defi_traders, defi_orders):
    s, trader = defi_system, defi_traders[0]
    defi_orders.settle([defi_orders.fill(trader, nonce=2**19 + 130)])  # beyond the cacheable nonces
    slot = _slot(_word(int(trader.address, 16)), _word((2**19 + 130) >> 7), keccak(text="DefiInt.nonceWords"))
    assert (
        (_storage(s, slot) >> 4) & 3
        == 2
        == s.chain.call(s.settlement.functions.nonceState(trader.address, 2**19 + 130))
    )


def test_moving_the_cached_block_writes_the_old_one_back_into_its_word(defi_system, defi_traders, defi_orders):
    s, trader = defi_system, defi_traders[0]
    defi_orders.settle([defi_orders.fill(trader, nonce=3)])  # block 0 cached
    defi_orders.settle([defi_orders.fill(trader, nonce=300)])  # block 37: block 0 goes back to word 0
    word0 = _storage(s, _slot(_word(int(trader.address, 16)), _word(0), keccak(text="DefiInt.nonceWords")))
    assert (word0 >> 6) & 3 == 2  # nonce 3, two bits each
    book = _storage(s, _slot(_word(int(trader.address, 16)), _word(0), keccak(text="DefiInt.books")))
    assert (book >> 224) & 0xFFFF == 300 >> 3
    for nonce in (3, 300):
        assert s.chain.call(s.settlement.functions.nonceState(trader.address, nonce)) == 2
    assert s.chain.call(s.settlement.functions.nonceState(trader.address, 4)) == 0
