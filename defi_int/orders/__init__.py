"""The signed order: model, EIP-712 digest, signing and off-chain validation.

Data flow: a trader builds an ``Order``, signs its EIP-712 digest (``sign_order``); the keeper
wraps it in a ``Fill`` with the sizes and price it decided, and ``validate_batch`` (or
``validate_plan`` for the keeper's plan) replays on a Python mirror of the chain everything
``Settlement.settle`` would check, rejecting with a reason; ``rules`` holds the price rules that
both the keeper's planner and the validator apply.
"""

from defi_int.orders.eip712 import Domain, order_digest, struct_hash, typed_data
from defi_int.orders.model import Fill, Order
from defi_int.orders.signing import recover_signer, sign_order
from defi_int.orders.validation import BatchView, validate_batch, validate_order, validate_plan

__all__ = [
    "BatchView",
    "Domain",
    "Fill",
    "Order",
    "order_digest",
    "recover_signer",
    "sign_order",
    "struct_hash",
    "typed_data",
    "validate_batch",
    "validate_order",
    "validate_plan",
]
