"""setMaxAge is owner-only, emits MaxAgeSet and moves the staleness boundary at once."""

from defi_int.types import ONE


def test_owner_sets_max_age_and_emits_max_age_set(defi_system, oracle, events):
    chain = defi_system.chain
    receipt = chain.transact(defi_system.owner, oracle.functions.setMaxAge(60), gas=60_000)
    assert chain.call(oracle.functions.maxAge()) == 60
    assert events(oracle, receipt, "MaxAgeSet") == [{"maxAge": 60}]


def test_set_max_age_by_anyone_but_the_owner_reverts_with_not_owner(defi_system, oracle, stranger, reverts):
    chain = defi_system.chain
    with reverts("NotOwner", caller=stranger.address):
        chain.transact(stranger, oracle.functions.setMaxAge(1), gas=60_000)
    assert chain.call(oracle.functions.maxAge()) == 3_600


def test_an_updater_who_is_not_owner_cannot_set_max_age(defi_system, oracle, stranger, reverts):
    chain = defi_system.chain
    chain.transact(defi_system.owner, oracle.functions.setUpdater(stranger.address, True), gas=60_000)
    with reverts("NotOwner", caller=stranger.address):
        chain.transact(stranger, oracle.functions.setMaxAge(1), gas=60_000)


def test_raising_max_age_makes_a_stale_price_readable_again(defi_system, oracle, reverts):
    chain = defi_system.chain
    _, updated_at = chain.call(oracle.functions.latest(0))
    chain.set_next_block_timestamp(updated_at + 5_000)
    chain.mine()
    with reverts("StalePrice", market=0, updatedAt=updated_at, now_=updated_at + 5_000, maxAge=3_600):
        chain.call(oracle.functions.price(0))

    chain.transact(defi_system.owner, oracle.functions.setMaxAge(5_001), gas=60_000)

    assert chain.timestamp() == updated_at + 5_001
    assert chain.call(oracle.functions.price(0)) == 2_000 * ONE


def test_lowering_max_age_makes_a_fresh_price_stale(defi_system, oracle, reverts):
    chain = defi_system.chain
    _, updated_at = chain.call(oracle.functions.latest(0))
    chain.transact(defi_system.owner, oracle.functions.setMaxAge(1), gas=60_000)
    now = chain.timestamp()
    assert now > updated_at + 1
    with reverts("StalePrice", market=0, updatedAt=updated_at, now_=now, maxAge=1):
        chain.call(oracle.functions.price(0))
