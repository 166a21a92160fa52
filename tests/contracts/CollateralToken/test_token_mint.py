"""Only the owner mints; a mint raises the supply and the receiver's balance by exactly the amount."""

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def test_owner_mint_credits_the_receiver_and_the_total_supply(defi_system, token, alice, events):
    chain = defi_system.chain
    supply = chain.call(token.functions.totalSupply())

    receipt = chain.transact(defi_system.owner, token.functions.mint(alice.address, 1_234_567), gas=100_000)

    assert chain.call(token.functions.balanceOf(alice.address)) == 1_234_567
    assert chain.call(token.functions.totalSupply()) == supply + 1_234_567
    assert events(token, receipt, "Transfer") == [{"from": ZERO_ADDRESS, "to": alice.address, "value": 1_234_567}]


def test_mint_by_anyone_but_the_owner_reverts_with_not_owner(defi_system, token, alice, reverts):
    chain = defi_system.chain
    supply = chain.call(token.functions.totalSupply())

    with reverts("NotOwner", caller=alice.address):
        chain.transact(alice, token.functions.mint(alice.address, 1), gas=100_000)

    assert chain.call(token.functions.balanceOf(alice.address)) == 0
    assert chain.call(token.functions.totalSupply()) == supply


def test_the_keeper_cannot_mint_either(defi_system, token, reverts):
    keeper = defi_system.keeper
    with reverts("NotOwner", caller=keeper.address):
        defi_system.chain.transact(keeper, token.functions.mint(keeper.address, 1), gas=100_000)


def test_mint_to_the_zero_address_reverts(defi_system, token, reverts):
    with reverts("TransferToZeroAddress"):
        defi_system.chain.transact(defi_system.owner, token.functions.mint(ZERO_ADDRESS, 1), gas=100_000)


def test_mint_that_overflows_the_total_supply_panics(defi_system, token, alice, reverts):
    with reverts("Panic", code=0x11, meaning="arithmetic overflow or underflow"):
        defi_system.chain.transact(defi_system.owner, token.functions.mint(alice.address, 2**256 - 1), gas=100_000)
