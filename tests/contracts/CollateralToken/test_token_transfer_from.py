"""transferFrom spends the allowance exactly, except an infinite one, and checks allowance then balance."""

import pytest

MAX_UINT = 2**256 - 1


@pytest.fixture
def alice_holds_1000(defi_system, alice):
    defi_system.mint(alice.address, 1_000)
    return alice


def test_transfer_from_moves_tokens_and_spends_the_allowance(defi_system, token, alice_holds_1000, bob, carol, events):
    chain, alice = defi_system.chain, alice_holds_1000
    chain.transact(alice, token.functions.approve(bob.address, 500), gas=60_000)

    receipt = chain.transact(bob, token.functions.transferFrom(alice.address, carol.address, 300), gas=80_000)

    assert chain.call(token.functions.balanceOf(alice.address)) == 700
    assert chain.call(token.functions.balanceOf(carol.address)) == 300
    assert chain.call(token.functions.balanceOf(bob.address)) == 0
    assert chain.call(token.functions.allowance(alice.address, bob.address)) == 200
    assert events(token, receipt, "Transfer") == [{"from": alice.address, "to": carol.address, "value": 300}]


def test_transfer_from_beyond_the_allowance_reverts_with_insufficient_allowance(
    defi_system, token, alice_holds_1000, bob, reverts
):
    chain, alice = defi_system.chain, alice_holds_1000
    chain.transact(alice, token.functions.approve(bob.address, 500), gas=60_000)

    with reverts("InsufficientAllowance", owner=alice.address, spender=bob.address, allowance=500, needed=501):
        chain.transact(bob, token.functions.transferFrom(alice.address, bob.address, 501), gas=80_000)

    assert chain.call(token.functions.allowance(alice.address, bob.address)) == 500
    assert chain.call(token.functions.balanceOf(alice.address)) == 1_000


def test_transfer_from_without_any_allowance_reverts(defi_system, token, alice_holds_1000, bob, reverts):
    alice = alice_holds_1000
    with reverts("InsufficientAllowance", owner=alice.address, spender=bob.address, allowance=0, needed=1):
        defi_system.chain.transact(bob, token.functions.transferFrom(alice.address, bob.address, 1), gas=80_000)


def test_an_infinite_allowance_is_never_spent(defi_system, token, alice_holds_1000, bob):
    chain, alice = defi_system.chain, alice_holds_1000
    chain.transact(alice, token.functions.approve(bob.address, MAX_UINT), gas=60_000)

    chain.transact(bob, token.functions.transferFrom(alice.address, bob.address, 300), gas=80_000)

    assert chain.call(token.functions.allowance(alice.address, bob.address)) == MAX_UINT
    assert chain.call(token.functions.balanceOf(bob.address)) == 300


def test_transfer_from_within_the_allowance_but_beyond_the_balance_reverts_and_keeps_the_allowance(
    defi_system, token, alice_holds_1000, bob, reverts
):
    chain, alice = defi_system.chain, alice_holds_1000
    chain.transact(alice, token.functions.approve(bob.address, 5_000), gas=60_000)

    with reverts("InsufficientBalance", account=alice.address, balance=1_000, needed=1_001):
        chain.transact(bob, token.functions.transferFrom(alice.address, bob.address, 1_001), gas=80_000)

    assert chain.call(token.functions.allowance(alice.address, bob.address)) == 5_000


def test_an_allowance_spent_to_zero_blocks_the_next_pull(defi_system, token, alice_holds_1000, bob, reverts):
    chain, alice = defi_system.chain, alice_holds_1000
    chain.transact(alice, token.functions.approve(bob.address, 250), gas=60_000)
    chain.transact(bob, token.functions.transferFrom(alice.address, bob.address, 250), gas=80_000)
    assert chain.call(token.functions.allowance(alice.address, bob.address)) == 0

    with reverts("InsufficientAllowance", owner=alice.address, spender=bob.address, allowance=0, needed=1):
        chain.transact(bob, token.functions.transferFrom(alice.address, bob.address, 1), gas=80_000)
