"""``Ledger.copy`` is independent of the original: validation replays a batch on a copy, so a copy
that shared a container would let a rejected batch write into the keeper's view.

The copy is written field by field (a deep copy cost a tenth of a run): every field holding a
mutable value must come back as another object, so a field added later without its copy fails here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from fractions import Fraction

from defi_int.market.funding import Funding
from defi_int.market.ledger import Ledger

DESK, FEES, TRADER = "0xdesk", "0xfees", "0xtrader"


def _ledger() -> Ledger:
    ledger = Ledger(10**18, 1_000, 500, DESK, FEES, amm="0xamm", markets=[0, 1], caps={0: 5, 1: 7})
    ledger.cash[TRADER] = 1_000
    ledger.positions[(TRADER, 0)] = 3
    ledger.marks[(TRADER, 0)] = 11
    ledger.funding[0] = Funding(period=3600, cap_bps=100, unit=1, index=9, premium=2, updated_at=4)
    ledger.settled.append((TRADER, 0, 5))
    ledger.funding_rounding = Fraction(1, 3)
    return ledger


def test_a_copy_equals_its_original_and_shares_no_mutable_value() -> None:
    ledger = _ledger()
    copy = ledger.copy()

    assert copy == ledger
    for f in fields(Ledger):
        value = getattr(ledger, f.name)
        if isinstance(value, (list, dict, set)):
            assert getattr(copy, f.name) is not value, f.name
    assert all(copy.funding[m] is not ledger.funding[m] for m in ledger.funding)
    assert isinstance(copy.cash, defaultdict) and isinstance(copy.positions, defaultdict)


def test_writing_into_a_copy_leaves_the_original_as_it_was() -> None:
    ledger = _ledger()
    before = _ledger()
    copy = ledger.copy()

    copy.cash[TRADER] -= 400
    copy.cash["0xnew"] += 1
    copy.positions[(TRADER, 1)] += 2
    copy.marks[(TRADER, 0)] = 12
    copy.funding[0].index += 1
    copy.funding[1] = Funding()
    copy.settled.append((DESK, 0, 1))
    copy.markets.append(2)
    copy.caps[2] = 1

    assert ledger == before
