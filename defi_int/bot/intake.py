"""Order intake and off-chain cancels: from a parsed request body to a journaled order (or a code).

The order's own checks are the keeper's intake, the simulator's too (``keeper.verify_signature``
and ``keeper.check_admissible``); this module adds only what is the API's: the body's domain, the
parse, the idempotent answer, the rate limit, the receipt of the published snapshot and the
journal. In this order, so that each refusal names the first thing wrong and costs the least:

1. the body's optional ``domain`` equals the deployment's  → else ``wrong_domain``
2. the order parses (``Order.from_message``)               → else ``malformed``
3. the signature is strict and the trader's (the keeper's) → else ``bad_signature`` (``_length``, ``_s``, ``_v``)
4. the digest is already journaled                         → the same answer again (idempotent)
5. a listed market, size > 0, not expired at the chain's time (the keeper's)
                                                           → ``unknown_market``, ``empty_order``, ``expired``
6. the trader's rate limit                                 → ``rate_limited``
   the trader's free margin carries the order (``margin``)  → ``insufficient_margin``
7. the receipt: the keeper's quote for the order's size on the latest published snapshot
8. journaled with its receipt (group commit: concurrent requests share one transaction, and each
   answer waits for its commit); a live order on the same nonce → ``duplicate``; the resting cap → ``resting_cap``
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from eth_utils.address import to_checksum_address

from defi_int.bot.cancel import cancel_digest
from defi_int.bot.errors import ApiRejection, JournalError, OrderInFlight
from defi_int.bot.journal import Admission, OrderRecord
from defi_int.bot.models import CancelRequest, DomainIn, OrderMessage, OrderSubmission
from defi_int.bot.state import BotState
from defi_int.exceptions import DefiIntError, OrderRejected
from defi_int.keeper.book import Receipt
from defi_int.keeper.intake import check_admissible, verify_signature
from defi_int.keeper.quote import quote, receipt
from defi_int.orders.eip712 import NAME, VERSION, Domain
from defi_int.orders.model import Order
from defi_int.orders.signing import recover_signer
from defi_int.reasons import Reason

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submitted:
    """An accepted order: its journal record, and whether this request created it."""

    record: OrderRecord
    created: bool


def submit_order(state: BotState, body: OrderSubmission) -> Submitted:
    """Verifies and journals one signed order; raises ``ApiRejection``. See the module docstring."""
    checked = verify_order(state, body)
    if isinstance(checked, Submitted):
        return checked
    margin = state.margin
    if margin is not None:
        order = checked[0]
        if not margin.fresh(order.trader):
            _load(state, order.trader)
        second = margin.refusal(order) is not None and margin.needs_second_look(order.trader)
        if not second or _load(state, order.trader):  # an old book never refuses: a failed look leaves it to the chain
            margin.check(order)
    return _admitted(state, checked[0], state.intake.add(*checked, receipt_of(state, checked[0])))


async def submit_order_async(state: BotState, body: OrderSubmission) -> Submitted:
    """``submit_order`` on the event loop: verified inline, the commit awaited (no thread per request)."""
    checked = verify_order(state, body)
    if isinstance(checked, Submitted):
        return checked
    margin = state.margin
    if margin is not None:  # a trader's book is read off the event loop, and only when the cache is old
        order = checked[0]
        if not margin.fresh(order.trader):
            await asyncio.get_running_loop().run_in_executor(None, _load, state, order.trader)
        second = margin.refusal(order) is not None and margin.needs_second_look(order.trader)
        if not second or await asyncio.get_running_loop().run_in_executor(None, _load, state, order.trader):
            margin.check(order)
    return _admitted(state, checked[0], await state.intake.add_async(*checked, receipt_of(state, checked[0])))


def _load(state: BotState, trader: str) -> bool:
    """Reads a trader's book for the margin check (True: read); a node that fails leaves the check
    to the chain: the order is not refused on the book read before (``bot.margin``)."""
    assert state.margin is not None
    try:
        state.margin.load(trader)
    except DefiIntError as exc:
        _log.warning("margin of %s not read (%s); the chain will judge its orders", trader, str(exc).splitlines()[0])
        return False
    return True


def verify_order(state: BotState, body: OrderSubmission) -> tuple[Order, bytes, bytes] | Submitted:
    """Steps 1-6 of the module docstring: the order, its signature and digest, or the journaled twin."""
    config = state.config
    if body.domain is not None:
        check_domain(body.domain, config.domain)
    order = parse_order(body.order)
    signature = bytes.fromhex(body.signature[2:])
    try:
        digest = verify_signature(order, signature, config.domain)
    except OrderRejected as exc:
        raise ApiRejection(exc.reason, f"signature: {exc.detail}") from exc
    existing = state.journal.get_order(digest)
    if existing is not None:
        return Submitted(existing, False)
    try:
        check_admissible(order, digest, now=state.chain_time(), markets=config.markets)
    except OrderRejected as exc:
        raise ApiRejection(exc.reason, f"order: {exc.detail}") from exc
    wait = state.rate_limiter.take(order.trader.lower())
    if wait is not None:
        raise ApiRejection(Reason.RATE_LIMITED, f"trader {order.trader} is over its order rate; retry in {wait:.2f} s")
    return order, signature, digest


def receipt_of(state: BotState, order: Order) -> Receipt | None:
    """What the desk sees for ``order`` on the latest published snapshot (None before the first)."""
    snapshot = state.snapshot()
    config = state.config
    if snapshot is None or order.market not in snapshot.markets:
        return None
    seen = snapshot.markets[order.market]
    priced = quote(
        seen,
        pricing=config.pricing[order.market],
        risk_limit=config.risk_limits.get(order.market, 0),
        trader_buys=order.is_buy,
        size=order.size,
        price_scale=snapshot.price_scale,
        now=state.chain_time(),
        block=snapshot.block,
        gate=state.board().gate(order.market, seen.inventory),
    )
    return receipt(order, priced)


def _admitted(state: BotState, order: Order, admission: Admission) -> Submitted:
    """Step 7: the journal's answer, as the API gives it."""
    if admission.outcome == "nonce_taken":
        other = "0x" + (admission.other or b"").hex()
        raise ApiRejection(
            Reason.DUPLICATE, f"nonce {order.nonce} of {order.trader} is already used by live order {other}"
        )
    if admission.outcome == "resting_cap":
        raise ApiRejection(
            Reason.RESTING_CAP, f"trader {order.trader} already has {admission.count} live orders (the cap)"
        )
    assert admission.record is not None
    state.orders_arrived()
    return Submitted(admission.record, admission.outcome == "created")


def cancel_order(state: BotState, digest: bytes, body: CancelRequest) -> tuple[OrderRecord, bool]:
    """Cancels an order on its trader's signed ``CancelOrder``; returns the record and whether it changed."""
    journal = state.journal
    record = journal.get_order(digest)
    if record is None:
        raise ApiRejection(Reason.NOT_FOUND, f"no order 0x{digest.hex()}")
    deadline = int(body.deadline)
    now = state.chain_time()
    if deadline < now:
        raise ApiRejection(Reason.EXPIRED, f"the cancel's deadline {deadline} has passed; the chain's time is {now}")
    window = state.config.limits.max_cancel_window
    if deadline > now + window:
        raise ApiRejection(Reason.MALFORMED, f"deadline: at most {window} s ahead of the chain's time {now}")
    signature = bytes.fromhex(body.signature[2:])
    check_signer(cancel_digest(digest, deadline, state.config.domain), signature, record.order.trader)
    try:
        cancelled = journal.cancel_order(digest, f"cancelled by the trader's signature (deadline {deadline})")
        state.orders_arrived()
        return cancelled
    except OrderInFlight as exc:
        tx = f" 0x{exc.tx_hash.hex()}" if exc.tx_hash else ""
        raise ApiRejection(
            Reason.IN_FLIGHT, f"the order is in settle transaction{tx} ({exc.stage}); retry once it is final"
        ) from exc
    except JournalError as exc:
        current = journal.get_order(digest)
        status = current.status if current is not None else "gone"
        raise ApiRejection(Reason.NOT_CANCELLABLE, f"the order is {status}; nothing is left to cancel") from exc


def parse_order(message: OrderMessage) -> Order:
    """The ``Order`` of a request (checksummed trader); ``malformed`` names the field at fault."""
    fields = message.model_dump()
    for name in ("market", "size", "limitPrice", "expiry", "nonce", "maxFeeBps"):
        fields[name] = int(fields[name])
    fields["trader"] = to_checksum_address(fields["trader"]) if _one_case(fields["trader"]) else fields["trader"]
    try:
        return Order.from_message(fields)
    except OrderRejected as exc:
        raise ApiRejection(exc.reason, f"order: {exc.detail}") from exc


def check_signer(digest: bytes, signature: bytes, trader: str) -> None:
    """Raises ``bad_signature`` unless ``signature`` is strict and recovers to ``trader``."""
    try:
        signer = recover_signer(digest, signature)
    except OrderRejected as exc:
        raise ApiRejection(exc.reason, f"signature: {exc.detail}") from exc
    if signer.lower() != trader.lower():
        raise ApiRejection(
            Reason.BAD_SIGNATURE,
            f"signature: recovers to {signer}, not {trader} (signed another message, chain or contract?)",
        )


def check_domain(claimed: DomainIn, domain: Domain) -> None:
    """Raises ``wrong_domain`` naming the first field of ``claimed`` that differs from ``domain``."""
    expected = {
        "name": NAME,
        "version": VERSION,
        "chainId": domain.chain_id,
        "verifyingContract": domain.verifying_contract,
    }
    given = {
        "name": claimed.name,
        "version": claimed.version,
        "chainId": int(claimed.chainId),
        "verifyingContract": claimed.verifyingContract,
    }
    for key, value in expected.items():
        same = str(given[key]).lower() == str(value).lower()
        if not same:
            raise ApiRejection(Reason.WRONG_DOMAIN, f"domain.{key} is {given[key]!r}; this keeper signs in {value!r}")


def _one_case(address: str) -> bool:
    """A lower- or upper-case address (no checksum to check); a mixed-case one keeps its EIP-55 check."""
    body = address[2:]
    return body in (body.lower(), body.upper())
