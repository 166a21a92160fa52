"""Intake refuses what no batch could settle, and dedupes by digest; each refusal names its reason."""

from __future__ import annotations

import pytest
from mirror_world import TRADERS

from defi_int.exceptions import OrderRejected


def rejection(world, order, signer=None) -> str:
    with pytest.raises(OrderRejected) as caught:
        world.keeper.intake(order, world.sign(signer or TRADERS[0], order), now=world.venue.now + 1)
    assert caught.value.digest is not None
    return caught.value.reason


def test_intake_refuses_an_expired_order(world) -> None:
    assert rejection(world, world.order(TRADERS[0], expiry=world.venue.now)) == "expired"


def test_intake_refuses_a_signature_by_someone_else(world) -> None:
    order = world.order(TRADERS[0])
    forged = world.sign(TRADERS[1], world.order(TRADERS[1], nonce=order.nonce))
    with pytest.raises(OrderRejected) as caught:
        world.keeper.intake(order, forged, now=world.venue.now + 1)
    assert caught.value.reason == "bad_signature"
    assert len(world.keeper.book) == 0


def test_intake_refuses_an_order_for_a_market_the_keeper_does_not_quote(world) -> None:
    order = world.order(TRADERS[0], market=7, limit_price=1)
    assert rejection(world, order) == "unknown_market"


def test_intake_refuses_an_empty_order(world) -> None:
    assert rejection(world, world.order(TRADERS[0], size=0)) == "empty_order"


def test_intake_refuses_an_order_it_already_holds_or_filled(world) -> None:
    order = world.submit(TRADERS[0])
    assert rejection(world, order) == "duplicate"
    world.keeper.step(0)
    assert len(world.keeper.book) == 0
    assert rejection(world, order) == "duplicate"
