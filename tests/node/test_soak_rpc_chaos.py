"""Soak (``pytest -m soak``): a thousand batches through a proxy that drops, delays or fails 10% of the
keeper's JSON-RPC calls: every order settled once, 0 double fills, 0 lost orders."""

from __future__ import annotations

import pytest
from test_keeper_survives_rpc_chaos import chaos_run

pytestmark = [pytest.mark.node, pytest.mark.soak]


def test_a_thousand_batches_through_rpc_chaos_settle_every_order_once(own_anvil, tmp_path):
    chaos_run(own_anvil.url, tmp_path, orders=3_000, batches=1_000)
