"""The house books have a floor and a way out (issue 8, sixth hole: the AMM's 5M could never be
withdrawn, and with no capital its negative cash was unbacked). The desk and the AMM need
maintenance margin after any move that grows a position; moves that shrink one are always allowed.
The owner withdraws the desk's, the AMM's and the insurance fund's cash under the same checks as a
trader's withdrawal."""

from defi_int.chain import SystemParams, deploy_system
from defi_int.chain.views import domain
from defi_int.exceptions import ContractRevert
from defi_int.testing import OrderMaker, build_session
from defi_int.types import ONE

UNIT = 10**6


def test_an_amm_without_capital_cannot_take_a_position(defi_chain, reverts):
    system, (trader, *_) = build_session(defi_chain, SystemParams(amm_capital=0))
    quote = defi_chain.call(system.amm.functions.quoteBuy(0, ONE))
    amm = str(system.amm.address)
    # Buying 1 base from the AMM leaves it short 1 (2,000 USD) with 2,008 USD of cash: equity 8 USD
    # is below its maintenance margin of 100 USD.
    with reverts("InsufficientMargin", account=amm, equity=8_026_081, required=100 * UNIT):
        defi_chain.transact(trader, system.amm.functions.swap(0, True, ONE, quote), gas=300_000)


def test_the_amm_may_always_shrink_its_position_even_below_its_floor(defi_system, defi_traders):
    s, (buyer, seller) = defi_system, defi_traders[:2]
    quote = s.chain.call(s.amm.functions.quoteBuy(0, 10 * ONE))
    s.chain.transact(buyer, s.amm.functions.swap(0, True, 10 * ONE, quote), gas=300_000)
    amm = str(s.amm.address)
    free = s.chain.call(s.vault.functions.equity(amm)) - s.chain.call(s.vault.functions.marginRequired(amm, 1_000))
    s.chain.transact(s.owner, s.vault.functions.withdrawAmm(s.owner.address, free), gas=300_000)
    s.set_price(0, 2_300 * ONE)  # the AMM, short 10 on 2,000 USD of equity, is now underwater
    assert s.chain.call(s.vault.functions.equity(s.amm.address)) < 0

    s.chain.transact(seller, s.amm.functions.swap(0, False, 4 * ONE, 0), gas=300_000)

    assert s.chain.call(s.vault.functions.position(s.amm.address, 0)) == -6 * ONE


def test_the_owner_withdraws_the_amms_cash_down_to_its_initial_margin(defi_system, defi_traders, token, reverts):
    s, buyer = defi_system, defi_traders[0]
    quote = s.chain.call(s.amm.functions.quoteBuy(0, ONE))
    s.chain.transact(buyer, s.amm.functions.swap(0, True, ONE, quote), gas=300_000)
    amm = str(s.amm.address)
    equity = s.chain.call(s.vault.functions.equity(amm))
    required = s.chain.call(s.vault.functions.marginRequired(amm, 1_000))
    free = equity - required

    with reverts("InsufficientMargin", account=amm, equity=required - 1, required=required):
        s.chain.transact(s.owner, s.vault.functions.withdrawAmm(s.owner.address, free + 1), gas=300_000)
    s.chain.transact(s.owner, s.vault.functions.withdrawAmm(s.owner.address, free), gas=300_000)

    assert s.chain.call(token.functions.balanceOf(s.owner.address)) >= free
    assert s.chain.call(s.vault.functions.equity(amm)) == required


def test_only_the_owner_withdraws_house_cash(defi_system, stranger, reverts):
    for fn in (defi_system.vault.functions.withdrawAmm, defi_system.vault.functions.withdrawInsurance):
        with reverts("NotOwner", caller=stranger.address):
            defi_system.chain.transact(stranger, fn(stranger.address, 1), gas=300_000)


def test_a_desk_without_the_capital_for_its_margin_cannot_take_inventory(defi_chain):
    # One whole token of capital (the least the declaration takes) against a 200 USD margin.
    system, (trader, *_) = build_session(defi_chain, SystemParams(desk_capital=1))
    maker = OrderMaker(system, domain(system))
    try:
        maker.settle([maker.fill(trader)])
    except ContractRevert as exc:
        assert exc.error_name == "InsufficientMargin" and exc.args_by_name["account"].lower() == system.desk.lower()
    else:
        raise AssertionError("the desk took a position without the capital behind it")


def test_deploying_twice_on_one_chain_is_independent(defi_chain):
    # The house-account tests deploy their own systems; make sure a second deployment works too.
    first = deploy_system(defi_chain, label="house-a")
    second = deploy_system(defi_chain, label="house-b")
    assert first.vault.address != second.vault.address
