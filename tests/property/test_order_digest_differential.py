"""The Python EIP-712 mirror, Settlement.hashOrder and eth-account's generic encoder agree on every order.

Three independent computations of the digest a wallet signs:
- ``defi_int.orders.eip712.order_digest`` (hand-rolled ``abi.encode`` of the fields),
- ``Settlement.hashOrder`` on chain (``OrderLib``: calldata copy plus assembly),
- ``eth_account.messages.encode_typed_data`` on ``typed_data(order, domain)`` (the generic EIP-712 encoder
  wallets use), hashed as ``keccak(0x19 ‖ version ‖ header ‖ body)``.
"""

from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils import keccak, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from defi_int.chain.views import domain
from defi_int.orders.eip712 import Domain, order_digest, struct_hash, typed_data
from defi_int.orders.model import Order

addresses = st.binary(min_size=20, max_size=20).map(to_checksum_address)


def uint(bits: int) -> st.SearchStrategy[int]:
    """Any uintN, with the edges drawn often."""
    return st.one_of(st.sampled_from([0, 1, 2**bits - 1]), st.integers(0, 2**bits - 1))


orders = st.builds(
    Order,
    trader=addresses,
    market=uint(32),
    is_buy=st.booleans(),
    size=uint(128),
    limit_price=uint(128),
    expiry=uint(64),
    nonce=uint(256),
    max_fee_bps=uint(16),
    allow_amm=st.booleans(),
)
domains = st.builds(Domain, chain_id=uint(256), verifying_contract=addresses)


def eth_account_digest(order: Order, dom: Domain) -> bytes:
    return bytes(_hash_eip191_message(encode_typed_data(full_message=typed_data(order, dom))))


@settings(max_examples=60)
@given(order=orders)
def test_order_digest_equals_settlement_hash_order_on_chain(defi_system, order):
    onchain = defi_system.chain.call(
        defi_system.settlement.functions.hashOrder(order.as_tuple()), sender=defi_system.owner.address
    )
    assert bytes(onchain) == order_digest(order, domain(defi_system))


@settings(max_examples=60)
@given(order=orders)
def test_order_digest_equals_eth_accounts_typed_data_hash_for_the_deployed_domain(defi_system, order):
    dom = domain(defi_system)
    assert eth_account_digest(order, dom) == order_digest(order, dom)


@settings(max_examples=100)
@given(order=orders, dom=domains)
def test_order_digest_equals_eth_accounts_typed_data_hash_for_any_domain(order, dom):
    signable = encode_typed_data(full_message=typed_data(order, dom))
    assert bytes(signable.header) == dom.separator
    assert bytes(signable.body) == struct_hash(order)
    assert keccak(b"\x19" + signable.version + signable.header + signable.body) == order_digest(order, dom)
    assert eth_account_digest(order, dom) == order_digest(order, dom)


def test_domain_separator_on_chain_equals_the_python_domain(defi_system):
    chain, settlement = defi_system.chain, defi_system.settlement
    dom = Domain(chain.chain_id, settlement.address)
    assert dom == domain(defi_system)
    onchain = bytes(chain.call(settlement.functions.domainSeparator()))
    assert onchain == dom.separator
    assert onchain == bytes(encode_typed_data(full_message=typed_data(_an_order(), dom)).header)


def test_the_domain_binds_the_chain_and_the_settlement_address(defi_system):
    dom = domain(defi_system)
    order = _an_order()
    other_chain = Domain(dom.chain_id + 1, dom.verifying_contract)
    other_contract = Domain(dom.chain_id, defi_system.vault.address)
    digests = {order_digest(order, d) for d in (dom, other_chain, other_contract)}
    assert len(digests) == 3


def _an_order() -> Order:
    return Order("0x" + "11" * 20, 0, True, 10**18, 2_000 * 10**18, 2**40, 7, 30, True)
