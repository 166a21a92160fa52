"""Books and nonce words live at one-hash slots (keccak256(key ‖ key ‖ namespace)): the namespaces
written out in the contracts are the hashes of their names, and the words found there are what the
views report (BookLib's layout; two bits per nonce)."""

from eth_utils.crypto import keccak

from defi_int.types import ONE


def _slot(*words: bytes) -> int:
    return int.from_bytes(keccak(b"".join(words)), "big")


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def test_a_book_word_is_position_cash_and_funding_mark_at_its_one_hash_slot(defi_system, defi_traders, defi_orders):
    s, trader = defi_system, defi_traders[0]
    defi_orders.settle([defi_orders.fill(trader, size=3 * ONE + 5)])
    namespace = keccak(text="DefiInt.books")
    slot = _slot(_word(int(trader.address, 16)), _word(0), namespace)
    word = int.from_bytes(s.chain.w3.eth.get_storage_at(s.vault.address, slot), "big")
    position = word & (2**96 - 1)
    cash = (word >> 96) & (2**96 - 1)
    cash = cash - 2**96 if cash >= 2**95 else cash
    assert position == s.chain.call(s.vault.functions.position(trader.address, 0)) == 3 * ONE + 5
    assert cash == s.chain.call(s.vault.functions.cash(trader.address))
    assert word >> 192 == s.chain.call(s.vault.functions.fundingMarkOf(trader.address, 0))


def test_a_nonce_word_holds_two_bits_per_nonce_at_its_one_hash_slot(defi_system, defi_traders, defi_orders):
    s, trader = defi_system, defi_traders[0]
    fill = defi_orders.fill(trader, nonce=130)  # word 1, position 2
    defi_orders.settle([fill])
    slot = _slot(_word(int(trader.address, 16)), _word(1), keccak(text="DefiInt.nonceWords"))
    word = int.from_bytes(s.chain.w3.eth.get_storage_at(s.settlement.address, slot), "big")
    assert (word >> 4) & 3 == 2 == s.chain.call(s.settlement.functions.nonceState(trader.address, 130))
