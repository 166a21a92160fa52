"""deposit and depositFor pull tokens from the caller into an account's cash, one for one."""

from defi_int.types import ONE


def test_deposit_credits_the_callers_cash_and_pulls_its_tokens(
    defi_system, vault, token, holder, events, assert_cash_backed
):
    chain = defi_system.chain
    alice = holder("alice", 5_000_000)
    vault_balance = assert_cash_backed()

    receipt = chain.transact(alice, vault.functions.deposit(3_000_001), gas=100_000)

    assert chain.call(vault.functions.cash(alice.address)) == 3_000_001
    assert chain.call(token.functions.balanceOf(alice.address)) == 1_999_999
    assert chain.call(token.functions.balanceOf(vault.address)) == vault_balance + 3_000_001
    assert events(vault, receipt, "Deposited") == [
        {"account": alice.address, "from": alice.address, "amount": 3_000_001}
    ]
    assert assert_cash_backed() == vault_balance + 3_000_001


def test_deposits_add_up(defi_system, vault, holder, assert_cash_backed):
    chain = defi_system.chain
    alice = holder("alice", 10)
    chain.transact(alice, vault.functions.deposit(3), gas=100_000)
    chain.transact(alice, vault.functions.deposit(7), gas=100_000)
    assert chain.call(vault.functions.cash(alice.address)) == 10
    assert_cash_backed()


def test_deposit_for_credits_the_named_account_and_pulls_from_the_caller(
    defi_system, vault, token, holder, account, events, assert_cash_backed
):
    chain = defi_system.chain
    alice, bob = holder("alice", 1_000), account("bob")

    receipt = chain.transact(alice, vault.functions.depositFor(bob.address, 600), gas=100_000)

    assert chain.call(vault.functions.cash(bob.address)) == 600
    assert chain.call(vault.functions.cash(alice.address)) == 0
    assert chain.call(token.functions.balanceOf(alice.address)) == 400
    assert chain.call(token.functions.balanceOf(bob.address)) == 0
    assert events(vault, receipt, "Deposited") == [{"account": bob.address, "from": alice.address, "amount": 600}]
    assert_cash_backed()


def test_deposit_for_adds_to_a_traders_existing_cash(defi_system, vault, holder, defi_traders, assert_cash_backed):
    chain = defi_system.chain
    trader = defi_traders[1]
    before = chain.call(vault.functions.cash(trader.address))
    alice = holder("alice", 42)
    chain.transact(alice, vault.functions.depositFor(trader.address, 42), gas=100_000)
    assert chain.call(vault.functions.cash(trader.address)) == before + 42
    assert_cash_backed()


def test_deposit_of_zero_reverts_with_zero_amount(defi_system, vault, holder, reverts):
    alice = holder("alice", 1_000)
    with reverts("ZeroAmount"):
        defi_system.chain.transact(alice, vault.functions.deposit(0), gas=100_000)


def test_deposit_for_of_zero_reverts_with_zero_amount(defi_system, vault, holder, account, reverts):
    alice = holder("alice", 1_000)
    with reverts("ZeroAmount"):
        defi_system.chain.transact(alice, vault.functions.depositFor(account("bob").address, 0), gas=100_000)


def test_deposit_without_an_allowance_reverts_with_the_tokens_error(
    defi_system, vault, account, reverts, assert_cash_backed
):
    chain = defi_system.chain
    alice = account("alice")
    defi_system.mint(alice.address, 1_000)
    with reverts("InsufficientAllowance", owner=alice.address, spender=vault.address, allowance=0, needed=1_000):
        chain.transact(alice, vault.functions.deposit(1_000), gas=100_000)
    assert chain.call(vault.functions.cash(alice.address)) == 0
    assert_cash_backed()


def test_deposit_beyond_the_callers_balance_reverts_with_the_tokens_error(defi_system, vault, token, holder, reverts):
    chain = defi_system.chain
    alice = holder("alice", 1_000)
    chain.transact(alice, token.functions.approve(vault.address, 2_000), gas=60_000)
    with reverts("InsufficientBalance", account=alice.address, balance=1_000, needed=1_001):
        chain.transact(alice, vault.functions.deposit(1_001), gas=100_000)


def test_deposit_beyond_the_signed_128_bit_range_reverts_with_amount_out_of_range(defi_system, vault, holder, reverts):
    alice = holder("alice", 1)
    too_much = 2**127
    with reverts("AmountOutOfRange", amount=too_much):
        defi_system.chain.transact(alice, vault.functions.deposit(too_much), gas=100_000)


def test_deposit_does_not_open_a_position(defi_system, vault, holder):
    chain = defi_system.chain
    alice = holder("alice", ONE)
    chain.transact(alice, vault.functions.deposit(ONE), gas=100_000)
    assert chain.call(vault.functions.position(alice.address, 0)) == 0
    assert chain.call(vault.functions.equity(alice.address)) == ONE
