"""Gas is reviewed like code: every named operation stays within 2% of tests/gas_snapshot.json.

A deliberate change of cost is committed with ``make gas-snapshot`` (``python -m defi_int.gas
--update``) so the diff shows it.
"""

import json
from pathlib import Path

import pytest

from defi_int.chain import Chain
from defi_int.gas import TOLERANCE, compare, measure

SNAPSHOT = Path(__file__).resolve().parents[1] / "gas_snapshot.json"


@pytest.fixture(scope="module")
def measured() -> dict[str, int]:
    with Chain.pyevm() as chain:
        return measure(chain)


def test_the_gas_measured_on_revm_equals_the_gas_measured_on_py_evm(measured):
    with Chain.revm() as chain:
        assert measure(chain) == measured


def test_no_operation_costs_more_than_its_snapshot(measured):
    snapshot = json.loads(SNAPSHOT.read_text())
    assert compare(measured, snapshot) == []


def test_an_internal_fill_with_funding_costs_at_most_16000_gas_in_a_batch_of_100_existing_traders(measured):
    assert measured["settle_100_existing"] / 100 <= 16_000


def test_an_internal_fill_costs_at_most_30000_gas_with_scattered_nonces(measured):
    assert measured["settle_100_scattered"] / 100 <= 30_000


def test_a_nonce_in_a_word_the_trader_never_used_costs_at_most_30000_gas(measured):
    assert measured["settle_100_fresh_word"] / 100 <= 30_000


def test_a_traders_first_fill_costs_at_most_30000_gas(measured):
    assert measured["settle_100_new"] / 100 <= 30_000


def test_moving_the_cache_out_of_a_block_whose_word_was_never_written_costs_at_most_45000_gas(measured):
    """The write-back pays the new slot the word's first nonce paid in protocol v2 (38,747 then)."""
    assert measured["settle_100_first_move"] / 100 <= 45_000


def test_the_packed_entry_point_costs_less_than_the_abi_one(measured):
    assert measured["settle_100_existing"] < measured["settle_100_existing_abi"]


def test_the_comparison_flags_a_cost_just_over_the_tolerance():
    snapshot = {"settle": 100_000}
    assert compare({"settle": int(100_000 * (1 + TOLERANCE))}, snapshot) == []
    assert compare({"settle": int(100_000 * (1 + TOLERANCE)) + 1}, snapshot) != []
    assert compare({}, snapshot) == ["settle: no longer measured"]
