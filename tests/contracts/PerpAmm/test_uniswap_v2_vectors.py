"""With feeBps = 30, getAmountOut/getAmountIn reproduce Uniswap v2's own test vectors to the unit.

Sources (Uniswap, GPL-3.0, vectors only):
- v2-core ``test/UniswapV2Pair.spec.ts`` ``swapTestCases``: ``[swapAmount, token0Amount, token1Amount,
  expectedOutputAmount]``, the first three times 1e18. The pair test sends ``swapAmount`` of token0 and
  checks that ``expectedOutputAmount`` of token1 passes the K check and one more does not, so each vector
  is ``getAmountOut(swapAmount, token0Amount, token1Amount)``.
- v2-periphery ``test/UniswapV2Router02.spec.ts``: ``getAmountOut(2, 100, 100) == 1``,
  ``getAmountIn(1, 100, 100) == 2``, and ``getAmountsOut(2, [t0, t1]) == [2, 1]`` /
  ``getAmountsIn(1, [t0, t1]) == [2, 1]`` on a 10000/10000 pair; zero amounts and empty reserves revert.

Every vector is checked three ways: the Solidity ``PerpAmm.getAmountOut/getAmountIn``, the Python mirror
``defi_int.market.amm`` and Uniswap's own 997/1000 formula written out below (which also re-derives the
expected values, so a mistyped vector fails here rather than passing silently).
"""

import pytest

from defi_int.market import amm as amm_math
from defi_int.market.amm import AmmMathError

E18 = 10**18
UNISWAP_FEE_BPS = 30

SWAP_TEST_CASES = [
    (1, 5, 10, 1_662_497_915_624_478_906),
    (1, 10, 5, 453_305_446_940_074_565),
    (2, 5, 10, 2_851_015_155_847_869_602),
    (2, 10, 5, 831_248_957_812_239_453),
    (1, 10, 10, 906_610_893_880_149_131),
    (1, 100, 100, 987_158_034_397_061_298),
    (1, 1000, 1000, 996_006_981_039_903_216),
]

ROUTER_AMOUNT_OUT = [(2, 100, 100, 1), (2, 10_000, 10_000, 1)]  # (amountIn, reserveIn, reserveOut, out)
ROUTER_AMOUNT_IN = [(1, 100, 100, 2), (1, 10_000, 10_000, 2)]  # (amountOut, reserveIn, reserveOut, in)


def uniswap_get_amount_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """``UniswapV2Library.getAmountOut``."""
    amount_in_with_fee = amount_in * 997
    return amount_in_with_fee * reserve_out // (reserve_in * 1000 + amount_in_with_fee)


def uniswap_get_amount_in(amount_out: int, reserve_in: int, reserve_out: int) -> int:
    """``UniswapV2Library.getAmountIn``."""
    return reserve_in * amount_out * 1000 // ((reserve_out - amount_out) * 997) + 1


def uniswap_k_allows(amount_in: int, amount_out: int, reserve_in: int, reserve_out: int) -> bool:
    """``UniswapV2Pair.swap``'s K check for ``amount_in`` of token0 in and ``amount_out`` of token1 out."""
    balance0, balance1 = reserve_in + amount_in, reserve_out - amount_out
    return (balance0 * 1000 - amount_in * 3) * (balance1 * 1000) >= reserve_in * reserve_out * 1000**2


@pytest.mark.parametrize(("swap", "reserve0", "reserve1", "expected"), SWAP_TEST_CASES)
def test_the_vector_is_uniswaps_formula_and_the_largest_output_its_pair_allows(swap, reserve0, reserve1, expected):
    amount_in, r0, r1 = swap * E18, reserve0 * E18, reserve1 * E18
    assert uniswap_get_amount_out(amount_in, r0, r1) == expected
    assert uniswap_k_allows(amount_in, expected, r0, r1)
    assert not uniswap_k_allows(amount_in, expected + 1, r0, r1)


@pytest.mark.parametrize(("swap", "reserve0", "reserve1", "expected"), SWAP_TEST_CASES)
def test_solidity_get_amount_out_matches_the_uniswap_v2_pair_vector(defi_system, swap, reserve0, reserve1, expected):
    fn = defi_system.amm.functions.getAmountOut(swap * E18, reserve0 * E18, reserve1 * E18, UNISWAP_FEE_BPS)
    assert defi_system.chain.call(fn) == expected


@pytest.mark.parametrize(("swap", "reserve0", "reserve1", "expected"), SWAP_TEST_CASES)
def test_python_get_amount_out_matches_the_uniswap_v2_pair_vector(swap, reserve0, reserve1, expected):
    assert amm_math.get_amount_out(swap * E18, reserve0 * E18, reserve1 * E18, UNISWAP_FEE_BPS) == expected


@pytest.mark.parametrize(("swap", "reserve0", "reserve1", "expected"), SWAP_TEST_CASES)
def test_get_amount_in_for_the_vectors_output_never_exceeds_the_swapped_amount(
    defi_system, swap, reserve0, reserve1, expected
):
    amount_in, r0, r1 = swap * E18, reserve0 * E18, reserve1 * E18
    needed = uniswap_get_amount_in(expected, r0, r1)
    assert needed <= amount_in
    assert uniswap_get_amount_out(needed, r0, r1) == expected
    assert amm_math.get_amount_in(expected, r0, r1, UNISWAP_FEE_BPS) == needed
    assert defi_system.chain.call(defi_system.amm.functions.getAmountIn(expected, r0, r1, UNISWAP_FEE_BPS)) == needed


@pytest.mark.parametrize(("amount_in", "reserve_in", "reserve_out", "expected"), ROUTER_AMOUNT_OUT)
def test_get_amount_out_matches_the_uniswap_v2_router_vector(defi_system, amount_in, reserve_in, reserve_out, expected):
    assert uniswap_get_amount_out(amount_in, reserve_in, reserve_out) == expected
    assert amm_math.get_amount_out(amount_in, reserve_in, reserve_out, UNISWAP_FEE_BPS) == expected
    fn = defi_system.amm.functions.getAmountOut(amount_in, reserve_in, reserve_out, UNISWAP_FEE_BPS)
    assert defi_system.chain.call(fn) == expected


@pytest.mark.parametrize(("amount_out", "reserve_in", "reserve_out", "expected"), ROUTER_AMOUNT_IN)
def test_get_amount_in_matches_the_uniswap_v2_router_vector(defi_system, amount_out, reserve_in, reserve_out, expected):
    assert uniswap_get_amount_in(amount_out, reserve_in, reserve_out) == expected
    assert amm_math.get_amount_in(amount_out, reserve_in, reserve_out, UNISWAP_FEE_BPS) == expected
    fn = defi_system.amm.functions.getAmountIn(amount_out, reserve_in, reserve_out, UNISWAP_FEE_BPS)
    assert defi_system.chain.call(fn) == expected


# The router's reverts: INSUFFICIENT_INPUT/OUTPUT_AMOUNT for a zero amount, INSUFFICIENT_LIQUIDITY for an empty
# reserve. AmmMath also refuses an output that is not below its reserve (Uniswap would divide by zero or underflow).
AMOUNT_OUT_REVERTS = [
    ((0, 100, 100), "InsufficientAmount"),
    ((2, 0, 100), "InsufficientLiquidity"),
    ((2, 100, 0), "InsufficientLiquidity"),
]
AMOUNT_IN_REVERTS = [
    ((0, 100, 100), "InsufficientAmount"),
    ((1, 0, 100), "InsufficientLiquidity"),
    ((1, 100, 0), "InsufficientLiquidity"),
    ((100, 100, 100), "InsufficientLiquidity"),
    ((101, 100, 100), "InsufficientLiquidity"),
]


@pytest.mark.parametrize(("args", "error"), AMOUNT_OUT_REVERTS)
def test_get_amount_out_reverts_like_the_uniswap_v2_router(defi_system, reverts, args, error):
    with reverts(error):
        defi_system.chain.call(defi_system.amm.functions.getAmountOut(*args, UNISWAP_FEE_BPS))
    with pytest.raises(AmmMathError, match=f"^{error}$"):
        amm_math.get_amount_out(*args, UNISWAP_FEE_BPS)


@pytest.mark.parametrize(("args", "error"), AMOUNT_IN_REVERTS)
def test_get_amount_in_reverts_like_the_uniswap_v2_router(defi_system, reverts, args, error):
    with reverts(error):
        defi_system.chain.call(defi_system.amm.functions.getAmountIn(*args, UNISWAP_FEE_BPS))
    with pytest.raises(AmmMathError, match=f"^{error}$"):
        amm_math.get_amount_in(*args, UNISWAP_FEE_BPS)
