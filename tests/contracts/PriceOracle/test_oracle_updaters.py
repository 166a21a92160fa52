"""Only updaters post prices; the owner is one from deployment and grants or revokes the others."""

from defi_int.types import ONE


def test_the_owner_is_an_updater_from_deployment(defi_system, oracle):
    assert defi_system.chain.call(oracle.functions.isUpdater(defi_system.owner.address)) is True


def test_set_price_by_a_non_updater_reverts_with_not_updater(defi_system, oracle, stranger, reverts):
    chain = defi_system.chain
    with reverts("NotUpdater", caller=stranger.address):
        chain.transact(stranger, oracle.functions.setPrice(0, 1_000 * ONE), gas=80_000)
    assert chain.call(oracle.functions.price(0)) == 2_000 * ONE


def test_the_keeper_is_not_an_updater(defi_system, oracle, reverts):
    keeper = defi_system.keeper
    with reverts("NotUpdater", caller=keeper.address):
        defi_system.chain.transact(keeper, oracle.functions.setPrice(0, 1_000 * ONE), gas=80_000)


def test_a_granted_updater_can_post_and_a_revoked_one_cannot(defi_system, oracle, stranger, events, reverts):
    chain, owner = defi_system.chain, defi_system.owner

    receipt = chain.transact(owner, oracle.functions.setUpdater(stranger.address, True), gas=60_000)
    assert events(oracle, receipt, "UpdaterSet") == [{"updater": stranger.address, "allowed": True}]
    assert chain.call(oracle.functions.isUpdater(stranger.address)) is True
    chain.transact(stranger, oracle.functions.setPrice(0, 1_999 * ONE), gas=80_000)
    assert chain.call(oracle.functions.price(0)) == 1_999 * ONE

    receipt = chain.transact(owner, oracle.functions.setUpdater(stranger.address, False), gas=60_000)
    assert events(oracle, receipt, "UpdaterSet") == [{"updater": stranger.address, "allowed": False}]
    with reverts("NotUpdater", caller=stranger.address):
        chain.transact(stranger, oracle.functions.setPrice(0, 1_998 * ONE), gas=80_000)
    assert chain.call(oracle.functions.price(0)) == 1_999 * ONE


def test_set_updater_by_anyone_but_the_owner_reverts_with_not_owner(defi_system, oracle, stranger, reverts):
    chain = defi_system.chain
    with reverts("NotOwner", caller=stranger.address):
        chain.transact(stranger, oracle.functions.setUpdater(stranger.address, True), gas=60_000)
    assert chain.call(oracle.functions.isUpdater(stranger.address)) is False
