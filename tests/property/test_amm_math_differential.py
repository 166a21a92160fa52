"""AmmMath in Solidity and its Python mirror give the same quote, or the same revert, to the unit.

With feeBps = 30 both also equal Uniswap v2's 997/1000 formula, and every quote rounds in the pool's favour.
"""

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from defi_int.exceptions import ContractRevert
from defi_int.market import amm as amm_math
from defi_int.market.amm import AmmMathError, Pool

MAX112 = 2**112 - 1
# Small values exercise the rounding, large ones the full 112-bit reserve range PerpAmm allows.
positive = st.one_of(st.integers(1, 1_000), st.integers(1, MAX112))
maybe_zero = st.one_of(st.just(0), positive)
fees = st.one_of(st.sampled_from([0, 1, 30, 100, 9_999]), st.integers(0, 9_999))


def python_outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except AmmMathError as exc:
        return ("revert", str(exc))


def solidity_outcome(system, name, *args):
    try:
        return ("ok", system.chain.call(getattr(system.amm.functions, name)(*args), sender=system.owner.address))
    except ContractRevert as exc:
        return ("revert", exc.error_name)


@settings(max_examples=80)
@given(amount_in=maybe_zero, reserve_in=maybe_zero, reserve_out=maybe_zero, fee=fees)
def test_get_amount_out_python_equals_solidity(defi_system, amount_in, reserve_in, reserve_out, fee):
    args = (amount_in, reserve_in, reserve_out, fee)
    assert python_outcome(amm_math.get_amount_out, *args) == solidity_outcome(defi_system, "getAmountOut", *args)


@st.composite
def amount_in_cases(draw):
    """(amountOut, reserveIn, reserveOut): mostly valid, sometimes zero or at/above the output reserve."""
    reserve_in, reserve_out = draw(maybe_zero), draw(positive)
    kind = draw(st.sampled_from(["valid", "valid", "valid", "zero", "at-reserve", "above"]))
    if kind == "valid" and reserve_out > 1:
        amount_out = draw(st.one_of(st.integers(1, min(1_000, reserve_out - 1)), st.integers(1, reserve_out - 1)))
    elif kind == "at-reserve":
        amount_out = reserve_out
    elif kind == "above":
        amount_out = draw(st.integers(reserve_out, MAX112 + 1))
    else:
        amount_out = 0
    return amount_out, reserve_in, reserve_out


@settings(max_examples=80)
@given(case=amount_in_cases(), fee=fees)
def test_get_amount_in_python_equals_solidity(defi_system, case, fee):
    args = (*case, fee)
    assert python_outcome(amm_math.get_amount_in, *args) == solidity_outcome(defi_system, "getAmountIn", *args)


def uniswap_get_amount_out(amount_in, reserve_in, reserve_out):
    with_fee = amount_in * 997
    return with_fee * reserve_out // (reserve_in * 1000 + with_fee)


def uniswap_get_amount_in(amount_out, reserve_in, reserve_out):
    return reserve_in * amount_out * 1000 // ((reserve_out - amount_out) * 997) + 1


@settings(max_examples=500)
@given(amount=positive, reserve_in=positive, reserve_out=positive)
def test_python_with_a_30_bps_fee_equals_uniswaps_997_over_1000(amount, reserve_in, reserve_out):
    assert amm_math.get_amount_out(amount, reserve_in, reserve_out, 30) == uniswap_get_amount_out(
        amount, reserve_in, reserve_out
    )
    assume(amount < reserve_out)
    assert amm_math.get_amount_in(amount, reserve_in, reserve_out, 30) == uniswap_get_amount_in(
        amount, reserve_in, reserve_out
    )


@settings(max_examples=50)
@given(amount=positive, reserve_in=positive, reserve_out=positive)
def test_solidity_with_a_30_bps_fee_equals_uniswaps_997_over_1000(defi_system, amount, reserve_in, reserve_out):
    out = solidity_outcome(defi_system, "getAmountOut", amount, reserve_in, reserve_out, 30)
    assert out == ("ok", uniswap_get_amount_out(amount, reserve_in, reserve_out))
    if amount < reserve_out:
        needed = solidity_outcome(defi_system, "getAmountIn", amount, reserve_in, reserve_out, 30)
        assert needed == ("ok", uniswap_get_amount_in(amount, reserve_in, reserve_out))


@settings(max_examples=300)
@given(amount=positive, reserve_in=positive, reserve_out=positive, fee=fees)
def test_paying_get_amount_in_always_buys_at_least_the_amount_asked(amount, reserve_in, reserve_out, fee):
    assume(amount < reserve_out)
    paid = amm_math.get_amount_in(amount, reserve_in, reserve_out, fee)
    assert amm_math.get_amount_out(paid, reserve_in, reserve_out, fee) >= amount


@settings(max_examples=300)
@given(base=positive, quote=positive, fee=fees, is_buy=st.booleans(), size=positive)
def test_no_swap_ever_lowers_the_pools_constant_product(base, quote, fee, is_buy, size):
    assume(not is_buy or size < base)
    pool = Pool(base, quote, fee)
    pool.swap(is_buy, size)
    assert pool.base * pool.quote >= base * quote
