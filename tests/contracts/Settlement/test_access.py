"""Who may settle and when: allow-listed keepers only, not while the vault is paused, and never an
empty batch or an empty fill."""

from defi_int.chain.views import batch_view
from defi_int.orders.validation import validate_batch
from defi_int.types import ONE


def _settle_from(defi_system, sender, fills):
    return defi_system.settlement.functions.settle([f.as_tuple() for f in fills])


def test_settle_rejects_a_caller_who_is_not_a_keeper(defi_system, defi_traders, defi_orders, expect_revert):
    trader = defi_traders[0]
    fill = defi_orders.fill(trader)
    # The fill itself is sound (off-chain validation accepts it): only the caller is refused.
    assert validate_batch([fill], batch_view(defi_system, [fill.order])).accepted == [fill]

    expect_revert(trader, _settle_from(defi_system, trader, [fill]), "NotKeeper", caller=trader.address)
    owner = defi_system.owner
    expect_revert(owner, _settle_from(defi_system, owner, [fill]), "NotKeeper", caller=owner.address)


def test_settle_rejects_a_keeper_once_it_is_removed(defi_system, defi_traders, defi_orders, expect_revert):
    settlement, keeper = defi_system.settlement, defi_system.keeper
    defi_system.chain.transact(defi_system.owner, settlement.functions.setKeeper(keeper.address, False), gas=100_000)
    fill = defi_orders.fill(defi_traders[0])

    expect_revert(keeper, _settle_from(defi_system, keeper, [fill]), "NotKeeper", caller=keeper.address)


def test_settle_rejects_every_batch_while_the_vault_is_paused(defi_system, defi_traders, defi_orders, expect_rejection):
    chain, vault = defi_system.chain, defi_system.vault
    chain.transact(defi_system.owner, vault.functions.setPaused(True), gas=100_000)
    fill = defi_orders.fill(defi_traders[0])

    expect_rejection(fill, "SettlementPaused")

    chain.transact(defi_system.owner, vault.functions.setPaused(False), gas=100_000)
    defi_orders.settle([fill])
    assert chain.call(vault.functions.position(defi_traders[0].address, 0)) == ONE


def test_settle_rejects_an_empty_batch(defi_system, defi_orders, expect_revert):
    # Off-chain there is nothing to judge: no fill is accepted or rejected.
    outcome = validate_batch([], batch_view(defi_system, []))
    assert (outcome.accepted, outcome.rejected) == ([], [])

    expect_revert(defi_system.keeper, defi_system.settlement.functions.settle([]), "EmptyBatch")


def test_settle_rejects_a_fill_whose_two_legs_are_zero(defi_traders, defi_orders, expect_rejection):
    fill = defi_orders.fill(defi_traders[0], internal_size=0, amm_size=0)

    expect_rejection(fill, "EmptyFill", digest=defi_orders.digest(fill.order))


def test_one_bad_fill_reverts_the_whole_batch(defi_system, defi_traders, defi_orders, expect_rejection):
    good = defi_orders.fill(defi_traders[0])
    bad = defi_orders.fill(defi_traders[1], internal_size=0, amm_size=0)

    expect_rejection([good, bad], "EmptyFill", culprit=bad)
    assert defi_system.chain.call(defi_system.vault.functions.position(defi_traders[0].address, 0)) == 0
