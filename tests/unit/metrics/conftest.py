"""Hand-made runs with numbers small enough to check by hand.

``sample_result``: one market, steps 0..5, oracle 2000 -> 2030 (USD, 6-decimal collateral).

- step 1: an informed trader buys 1 internally at 2001 (AMM would charge 2003); the desk is short 1.
- step 2: the oracle marks 2010; a noise trader sells 1: 0.5 internally at 2009 (AMM 2007) and
  0.5 on the AMM at an average 2006.5 (same order, two legs).
- step 3: the oracle marks 2020; the desk hedges by buying its remaining 0.5 on the AMM at 2021.
- step 5: the oracle marks 2030 (the desk is flat).

PnL by hand, in tokens: spread 1 + 0.5 = 1.5; inventory -10 - 5 = -15; fees 0.6003 + 0.30135 +
0.300975 = 1.202625; hedging -0.5; total -12.797375.
"""

from dataclasses import replace

import pytest

from defi_int.metrics.records import BookState, DeskEvent, RunResult, TimePoint
from defi_int.orders.booking import Leg

ONE = 10**18
USD = 10**6  # one collateral token
PRICE_SCALE = 10**30
TRADER_A = "0x" + "aa" * 20
TRADER_B = "0x" + "bb" * 20


TYPES = {TRADER_A.lower(): "informed", TRADER_B.lower(): "noise"}


def make_fill(**changes):
    base = Leg(
        step=1,
        block=101,
        time=1_700_000_012,
        digest=bytes.fromhex("01" * 32),
        fill_index=0,
        trader=TRADER_A,
        market=0,
        is_buy=True,
        venue="internal",
        size=ONE,
        quote=2001 * USD,
        price=2001 * ONE,
        limit_price=2010 * ONE,
        oracle_price=2000 * ONE,
        amm_mid=2001 * ONE,
        amm_quote=2003 * USD,
        amm_quote_price=2003 * ONE,
        fee=600_300,
        gas=60_000,
    )
    return replace(base, **changes)


def _sample_fills():
    buy = make_fill()
    digest_b = bytes.fromhex("02" * 32)
    sell_internal = make_fill(
        step=2, block=102, time=1_700_000_024, digest=digest_b, trader=TRADER_B,
        is_buy=False, size=ONE // 2, quote=1004_500_000, price=2009 * ONE, limit_price=2000 * ONE,
        oracle_price=2010 * ONE, amm_mid=2008 * ONE, amm_quote=1003_500_000, amm_quote_price=2007 * ONE,
        fee=301_350, gas=45_000,
    )  # fmt: skip
    sell_amm = replace(
        sell_internal, venue="amm", quote=1003_250_000, price=2006_500_000_000_000_000_000,
        amm_quote=1003_250_000, amm_quote_price=2006_500_000_000_000_000_000, fee=300_975,
    )  # fmt: skip
    return [buy, sell_internal, sell_amm]


def _sample_events():
    return [
        DeskEvent(1, "internal", 0, -ONE, 2001 * USD, 2000 * ONE),
        DeskEvent(1, "fee", 0, 0, 600_300, 0),
        DeskEvent(2, "mark", 0, 0, 0, 2010 * ONE),
        DeskEvent(2, "internal", 0, ONE // 2, -1004_500_000, 2010 * ONE),
        DeskEvent(2, "fee", 0, 0, 301_350, 0),
        DeskEvent(2, "fee", 0, 0, 300_975, 0),
        DeskEvent(3, "mark", 0, 0, 0, 2020 * ONE),
        DeskEvent(3, "hedge", 0, ONE // 2, -1010_500_000, 2020 * ONE),
        DeskEvent(5, "mark", 0, 0, 0, 2030 * ONE),
    ]


def _sample_timeseries():
    oracle = [2000, 2000, 2010, 2020, 2020, 2030]
    amm = [2000, 2001, 2008, 2021, 2019, 2030]
    inventory = [0, -ONE, -ONE // 2, 0, 0, 0]
    cash = [100_000 * USD, 102_001 * USD, 100_996_500_000, 99_986 * USD, 99_986 * USD, 99_986 * USD]
    fees = [0, 600_300, 1_202_625, 1_202_625, 1_202_625, 1_202_625]
    return [
        TimePoint(
            step,
            100 + step,
            1_700_000_000 + 12 * step,
            0,
            oracle[step] * ONE,
            oracle[step] * ONE,
            amm[step] * ONE,
            inventory[step],
            cash[step],
            fees[step],
        )
        for step in range(6)
    ]


def build_sample_result():
    return RunResult(
        scenario="sample",
        seed=7,
        backend="embedded",
        contracts={"Vault": "0x" + "11" * 20, "Settlement": "0x" + "22" * 20},
        price_scale=PRICE_SCALE,
        decimals=6,
        block_time=12,
        markout_horizons=(1, 2, 5),
        trader_types=dict(TYPES),
        fills=_sample_fills(),
        timeseries=_sample_timeseries(),
        desk_events=_sample_events(),
        start=BookState(100_000 * USD, 0, {0: 0}, {0: 2000 * ONE}),
        end=BookState(99_986 * USD, 1_202_625, {0: 0}, {0: 2030 * ONE}),
        orders_total=3,
        orders_filled=2,
        orders_rejected=1,
        rejections={"limit_not_met": 1},
        settle_transactions=2,
        settle_gas=150_000,
        hedge_transactions=1,
        hedge_gas=90_000,
        invariants={"vault_solvent": True, "cash_conserved": True},
        wall_seconds=0.5,
    )


@pytest.fixture
def sample_result():
    return build_sample_result()


SAMPLE_SCENARIO = {"seed": 7, "amm_fee_bps": 30, "markets": [{"id": 0, "price": "2000"}]}


@pytest.fixture(scope="module")
def sample_reports(tmp_path_factory):
    """The sample run's report written twice into fresh directories (charts are slow to draw)."""
    from defi_int.metrics import write_report

    root = tmp_path_factory.mktemp("reports")
    return [write_report(build_sample_result(), root / name, scenario=SAMPLE_SCENARIO) for name in ("a", "b")]


@pytest.fixture
def empty_result():
    return RunResult(
        scenario="empty",
        seed=1,
        backend="embedded",
        contracts={},
        price_scale=PRICE_SCALE,
        decimals=6,
        block_time=12,
        markout_horizons=(1, 5),
    )


@pytest.fixture
def fill():
    """Builds a ``Leg`` like step 1's internal buy, with the given fields changed."""
    return make_fill


@pytest.fixture
def flow_result():
    """``flow.build_flow_result``: orders with receipts, legs, a hedge and re-matches (see ``flow``)."""
    from flow import build_flow_result

    return build_flow_result()


@pytest.fixture(scope="module")
def flow_report(tmp_path_factory):
    """The flow run's whole report directory (written once per module: charts are slow to draw)."""
    from flow import build_flow_result

    from defi_int.metrics import write_report

    out = tmp_path_factory.mktemp("flow") / "report"
    write_report(build_flow_result(), out)
    return out
