"""transfer moves exactly the amount, never more than the balance, never to the zero address."""

import pytest

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@pytest.fixture
def alice_holds_1000(defi_system, token, alice):
    defi_system.mint(alice.address, 1_000)
    return alice


def test_transfer_moves_the_amount_and_emits_transfer(defi_system, token, alice_holds_1000, bob, events):
    chain, alice = defi_system.chain, alice_holds_1000
    supply = chain.call(token.functions.totalSupply())

    receipt = chain.transact(alice, token.functions.transfer(bob.address, 400), gas=80_000)

    assert chain.call(token.functions.balanceOf(alice.address)) == 600
    assert chain.call(token.functions.balanceOf(bob.address)) == 400
    assert chain.call(token.functions.totalSupply()) == supply
    assert events(token, receipt, "Transfer") == [{"from": alice.address, "to": bob.address, "value": 400}]


def test_transfer_of_the_whole_balance_leaves_zero(defi_system, token, alice_holds_1000, bob):
    chain, alice = defi_system.chain, alice_holds_1000
    chain.transact(alice, token.functions.transfer(bob.address, 1_000), gas=80_000)
    assert chain.call(token.functions.balanceOf(alice.address)) == 0
    assert chain.call(token.functions.balanceOf(bob.address)) == 1_000


def test_transfer_to_oneself_leaves_the_balance_unchanged(defi_system, token, alice_holds_1000):
    chain, alice = defi_system.chain, alice_holds_1000
    chain.transact(alice, token.functions.transfer(alice.address, 700), gas=80_000)
    assert chain.call(token.functions.balanceOf(alice.address)) == 1_000


def test_transfer_beyond_the_balance_reverts_with_insufficient_balance(
    defi_system, token, alice_holds_1000, bob, reverts
):
    chain, alice = defi_system.chain, alice_holds_1000
    with reverts("InsufficientBalance", account=alice.address, balance=1_000, needed=1_001):
        chain.transact(alice, token.functions.transfer(bob.address, 1_001), gas=80_000)
    assert chain.call(token.functions.balanceOf(alice.address)) == 1_000
    assert chain.call(token.functions.balanceOf(bob.address)) == 0


def test_transfer_from_an_empty_account_reverts_with_insufficient_balance(defi_system, token, bob, carol, reverts):
    with reverts("InsufficientBalance", account=bob.address, balance=0, needed=1):
        defi_system.chain.transact(bob, token.functions.transfer(carol.address, 1), gas=80_000)


def test_transfer_to_the_zero_address_reverts(defi_system, token, alice_holds_1000, reverts):
    with reverts("TransferToZeroAddress"):
        defi_system.chain.transact(alice_holds_1000, token.functions.transfer(ZERO_ADDRESS, 1), gas=80_000)
