"""The ledger mirror rounds against the trader and for the vault, exactly as Vault and Settlement do."""

import pytest

from defi_int.market.ledger import FUNDING_POOL, Env, Ledger, LedgerViolation, ceil_div, fee_for, notional

PRICE_SCALE = 10**30  # 6-decimal collateral
ONE = 10**18


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(0, 7, 0), (1, 7, 1), (7, 7, 1), (8, 7, 2), (14, 7, 2), (15, 7, 3), (10**40 + 1, 10**30, 10**10 + 1)],
)
def test_ceil_div_rounds_up_and_is_exact_on_multiples(a, b, expected):
    assert ceil_div(a, b) == expected


def test_a_buyer_pays_the_notional_rounded_up():
    # 1.5 base at 2000.000000000000000001: raw 3000.0000000000000000015 tokens
    size, price = 3 * ONE // 2, 2_000 * ONE + 1
    assert size * price == 3_000_000_000_000_000_000_001_500_000_000_000_000_000
    assert notional(size, price, PRICE_SCALE, is_buy=True) == 3_000_000_001
    assert notional(size, price, PRICE_SCALE, is_buy=False) == 3_000_000_000


def test_a_seller_receives_the_notional_rounded_down_even_when_one_wei_short_of_a_unit():
    size, price = ONE, 10**12 - 1  # 0.999999 of a collateral unit
    assert notional(size, price, PRICE_SCALE, is_buy=False) == 0
    assert notional(size, price, PRICE_SCALE, is_buy=True) == 1


def test_an_exact_notional_is_the_same_for_both_sides():
    assert notional(2 * ONE, 2_000 * ONE, PRICE_SCALE, is_buy=True) == 4_000_000_000
    assert notional(2 * ONE, 2_000 * ONE, PRICE_SCALE, is_buy=False) == 4_000_000_000


def test_a_zero_size_has_a_zero_notional():
    assert notional(0, 2_000 * ONE, PRICE_SCALE, is_buy=True) == 0
    assert notional(0, 2_000 * ONE, PRICE_SCALE, is_buy=False) == 0


@pytest.mark.parametrize(
    ("amount", "bps", "expected"),
    [
        (0, 30, 0),
        (1_000_000, 0, 0),
        (1, 1, 1),  # 0.0001 rounds up to a whole unit
        (10_000, 30, 30),  # exact
        (10_001, 30, 31),  # 30.003 rounds up
        (2_008_026_081, 7, 1_405_619),  # 1_405_618.2567 rounds up
        (3_333, 10_000, 3_333),
    ],
)
def test_fee_for_rounds_up(amount, bps, expected):
    assert fee_for(amount, bps) == expected


def _ledger() -> Ledger:
    ledger = Ledger(
        price_scale=PRICE_SCALE,
        initial_margin_bps=1_000,
        maintenance_margin_bps=500,
        desk="desk",
        fee_recipient="fees",
        markets=[0],
        caps={0: 100 * ONE},
    )
    ledger.cash["long"] = 0
    ledger.cash["short"] = 5_000_000_000
    ledger.positions[("long", 0)] = ONE
    ledger.positions[("short", 0)] = -ONE
    return ledger


ODD_PRICE = 2_000_123_456_789_000_000_001


def test_margin_state_values_a_long_rounded_down_and_a_short_rounded_up():
    ledger = _ledger()
    assert ledger.margin_state("long", Env(0, {0: ODD_PRICE}), 0) == (2_000_123_456, 0)
    assert ledger.margin_state("short", Env(0, {0: ODD_PRICE}), 0) == (5_000_000_000 - 2_000_123_457, 0)


def test_margin_state_rounds_the_requirement_up_for_longs_and_shorts():
    ledger = _ledger()
    # 1e18 * ODD_PRICE * 1000 / (1e30 * 1e4) = 200_012_345.6789...
    assert ledger.margin_state("long", Env(0, {0: ODD_PRICE}), 1_000)[1] == 200_012_346
    assert ledger.margin_state("short", Env(0, {0: ODD_PRICE}), 1_000)[1] == 200_012_346


def test_withdraw_leaving_exactly_the_requirement_passes_and_one_more_unit_fails():
    ledger = _ledger()
    prices = Env(0, {0: ODD_PRICE})
    largest = 5_000_000_000 - 2_000_123_457 - 200_012_346
    with pytest.raises(LedgerViolation) as info:
        ledger.withdraw("short", largest + 1, prices)
    assert info.value.error == "InsufficientMargin"
    assert ledger.cash["short"] == 5_000_000_000  # unchanged on failure
    ledger.withdraw("short", largest, prices)
    assert ledger.cash["short"] == 2_000_123_457 + 200_012_346


def test_withdraw_beyond_cash_names_insufficient_cash():
    ledger = _ledger()
    with pytest.raises(LedgerViolation) as info:
        ledger.withdraw("long", 1, Env(0, {0: ODD_PRICE}))
    assert info.value.error == "InsufficientCash"


def test_a_trade_moves_cash_and_fee_and_keeps_totals():
    ledger = _ledger()
    ledger.cash["desk"] = 10**15
    total = ledger.total_cash()
    ledger.trade("short", "desk", 0, ONE, -2_000_000_001, 600_001, Env(0, {0: 2_000 * ONE}))
    assert ledger.cash["short"] == 5_000_000_000 - 2_000_000_001 - 600_001
    assert ledger.cash["desk"] == 10**15 + 2_000_000_001
    assert ledger.cash["fees"] == 600_001
    assert ledger.position("short", 0) == 0
    assert ledger.position("desk", 0) == -ONE
    assert ledger.total_cash() == total


# ------------------------------------------------------------------ funding


def test_a_payer_pays_funding_rounded_up_and_a_receiver_gets_it_rounded_down():
    from defi_int.market.funding import charge, owed

    # 1 base across 3 funding units of 2e12 price units: 6e30 / 1e30 = 6 exactly; 1 wei more is 6.000...
    assert charge(ONE, 0, 3, 2 * 10**12, PRICE_SCALE) == 6
    assert charge(ONE + 1, 0, 3, 2 * 10**12, PRICE_SCALE) == 7
    assert charge(-(ONE + 1), 0, 3, 2 * 10**12, PRICE_SCALE) == -6
    assert owed(-(ONE + 1), 0, 3, 2 * 10**12, PRICE_SCALE) < -6


def test_a_mark_difference_is_read_modulo_two_to_the_48_and_signed():
    from defi_int.market.funding import charge

    top = 2**48 - 1  # the mark one unit below zero, kept modulo 2^48
    assert charge(ONE, 0, top, 10**12, PRICE_SCALE) == -1  # down one unit across the wrap: receives
    assert charge(ONE, top, 0, 10**12, PRICE_SCALE) == 1  # up one unit across the wrap: pays


def test_funding_between_two_books_leaves_the_pool_the_rounding_and_no_more():
    from defi_int.market.amm import Pool

    ledger = Ledger(
        price_scale=PRICE_SCALE,
        initial_margin_bps=1_000,
        maintenance_margin_bps=500,
        desk="desk",
        fee_recipient="fees",
        amm="amm",
        markets=[0],
        caps={0: 100 * ONE},
    )
    ledger.cash.update({"long": 10**12, "desk": 10**12})
    f = ledger.fund(0)
    f.period, f.cap_bps, f.unit = 3_600, 500, 2_000 * ONE // 10**6
    pools = {0: Pool(1_000 * ONE, 2_010_000 * 10**6 + 7, 30)}  # the mid 0.5 % above the oracle
    ledger.trade("long", "desk", 0, ONE + 3, -(2_000 * 10**6), 0, Env(0, {0: 2_000 * ONE}, pools))
    later = Env(1_001, {0: 2_000 * ONE}, pools)
    ledger.settle_all("long", later)
    ledger.settle_all("desk", later)
    pool = ledger.cash[FUNDING_POOL]
    assert 0 <= pool <= 2 and pool == ledger.funding_rounding
    assert ledger.total_cash() == 2 * 10**12
