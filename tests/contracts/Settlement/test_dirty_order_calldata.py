"""cancel, hashOrder and remaining refuse an order carrying bits beyond a field's type with
MalformedOrder: the digest they would hash is not the order's (issue 8, fourth hole: cancel
accepted dirty high bits and emitted a digest that was not the order's)."""

import pytest

from defi_int.exceptions import ContractRevert

# The order's nine head words, by index, and their types' widths; the nonce (index 6) is a whole word.
NARROW_WORDS = {
    0: "trader",
    1: "market",
    2: "isBuy",
    3: "size",
    4: "limitPrice",
    5: "expiry",
    7: "maxFeeBps",
    8: "allowAmm",
}


def _dirty(fn, word: int) -> bytes:
    data = bytearray(bytes.fromhex(fn._encode_transaction_data()[2:]))
    data[4 + 32 * word] |= 0x80
    return bytes(data)


def _call(defi_system, sender, data):
    return defi_system.chain.w3.eth.call(
        {"from": sender.address, "to": defi_system.settlement.address, "data": data, "gas": 500_000}
    )


@pytest.mark.parametrize("word", sorted(NARROW_WORDS), ids=list(NARROW_WORDS.values()))
@pytest.mark.parametrize("function", ["cancel", "hashOrder", "remaining"])
def test_an_order_with_a_dirty_field_is_refused_with_malformed_order(
    defi_system, defi_traders, defi_orders, function, word
):
    trader = defi_traders[0]
    order = defi_orders.order(trader)
    fn = getattr(defi_system.settlement.functions, function)(order.as_tuple())
    with pytest.raises(Exception) as caught:
        _call(defi_system, trader, _dirty(fn, word))
    revert = caught.value
    from defi_int.chain.errors import decode_revert, revert_data

    data = revert_data(revert)
    assert data is not None, f"{function} reverted without data: {revert}"
    decoded = decode_revert(data)
    assert isinstance(decoded, ContractRevert) and decoded.error_name == "MalformedOrder"


def test_a_clean_cancel_names_the_orders_own_digest(defi_system, defi_traders, defi_orders, events):
    trader = defi_traders[0]
    order = defi_orders.order(trader)
    receipt = defi_system.chain.transact(trader, defi_system.settlement.functions.cancel(order.as_tuple()), gas=200_000)
    (event,) = events(defi_system.settlement, receipt, "OrderCancelled")
    assert event["digest"] == defi_orders.digest(order)
    assert defi_system.chain.call(defi_system.settlement.functions.hashOrder(order.as_tuple())) == defi_orders.digest(
        order
    )
