"""The EIP-712 domain: a signature is bound to this chain and this Settlement contract."""

from defi_int.orders.eip712 import Domain
from defi_int.orders.signing import recover_signer, sign_order


def test_hash_order_and_the_domain_separator_match_the_python_mirror(defi_system, defi_traders, defi_orders):
    call, settlement = defi_system.chain.call, defi_system.settlement
    order = defi_orders.order(defi_traders[0], nonce=2**200 + 5, max_fee_bps=65_535, allow_amm=False)
    assert defi_orders.domain == Domain(defi_system.chain.chain_id, settlement.address)
    assert call(settlement.functions.domainSeparator()) == defi_orders.domain.separator
    assert call(settlement.functions.hashOrder(order.as_tuple())) == defi_orders.digest(order)


def _check_foreign_domain(foreign, defi_traders, defi_orders, expect_rejection):
    trader = defi_traders[0]
    order = defi_orders.order(trader)
    signature = sign_order(trader, order, foreign)
    digest = defi_orders.digest(order)  # what the contract verifies against
    stranger = recover_signer(digest, signature)
    assert stranger != trader.address

    expect_rejection(
        defi_orders.fill(trader, order, signature=signature),
        "InvalidSigner",
        digest=digest,
        signer=stranger,
        trader=trader.address,
    )


def test_settle_rejects_an_order_signed_for_another_chain(defi_system, defi_traders, defi_orders, expect_rejection):
    foreign = Domain(defi_system.chain.chain_id + 1, defi_orders.domain.verifying_contract)
    _check_foreign_domain(foreign, defi_traders, defi_orders, expect_rejection)


def test_settle_rejects_an_order_signed_for_another_contract(defi_system, defi_traders, defi_orders, expect_rejection):
    foreign = Domain(defi_system.chain.chain_id, str(defi_system.vault.address))
    _check_foreign_domain(foreign, defi_traders, defi_orders, expect_rejection)
