"""The order API (FastAPI on Starlette, served by uvicorn): ``create_app(state)`` builds it.

Routes (the OpenAPI document is ``/openapi.json``, committed as ``docs/openapi.json``)::

    POST /v1/orders                    a signed order          -> 201 {digest, status}
    GET  /v1/orders?trader=&status=    a trader's orders, the latest first (status: repeatable, or live)
    GET  /v1/orders/{digest}           status, fills, why not filled, history
    POST /v1/orders/{digest}/cancel    the trader's signed CancelOrder -> 200 {digest, status}
    GET  /v1/quote?market=&side=&size= the desk's price now and the AMM's for the same size
    GET  /v1/markets                   every listed market at the loop's latest snapshot
    POST /v1/admin/kill-switch         engage/release the kill switch (Bearer token from the env)
    GET  /healthz  /readyz  /metrics

Every refusal is ``{"code", "message"}`` with a 4xx status (``errors.CODES``): ``_BodyLimit``
refuses oversized or non-JSON bodies before anything is parsed, pydantic's strict models refuse
unknown fields and wrong types (one line naming the field), ``intake`` does the rest. Handlers
are plain functions (Starlette runs them in its thread pool; each thread has its own journal
connection), except order intake, the hot path: it verifies on the event loop and awaits the
journal's group commit. Nothing here blocks on the chain: quotes and markets read the loop's snapshot.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from defi_int.bot import intake
from defi_int.bot.apidoc import DESCRIPTION
from defi_int.bot.breakers import BreakerBoard
from defi_int.bot.errors import ApiRejection
from defi_int.bot.journal import OrderRecord, ReasonNote
from defi_int.bot.journal.records import LIVE, ORDER_STATUSES
from defi_int.bot.metrics import CONTENT_TYPE
from defi_int.bot.models import (
    PATTERN_MEANING,
    Address,
    BreakerOut,
    CancelRequest,
    CheckOut,
    DecisionOut,
    ErrorBody,
    EventOut,
    HealthOut,
    InFlightOut,
    KillSwitchIn,
    KillSwitchOut,
    LegOut,
    MarketOut,
    MarketsOut,
    OrderAccepted,
    OrderMessage,
    OrderOut,
    OrdersOut,
    OrderSubmission,
    OrderSummaryOut,
    QuoteOut,
    ReadyOut,
    ReasonOut,
    ReceiptOut,
    ScoreOut,
    Side,
    StatusFilter,
    TraceOut,
    Uint,
)
from defi_int.bot.state import BotState
from defi_int.keeper.book import Receipt
from defi_int.keeper.quote import quote
from defi_int.reasons import Reason
from defi_int.version import __version__

_log = logging.getLogger(__name__)
_DIGEST = re.compile(r"0x[0-9a-fA-F]{64}")
#: ``GET /v1/orders?status=``: a status, or ``live`` for both live statuses.
_STATUSES = {"live": LIVE}
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (401, "the admin token is missing or wrong"),
        (403, "no admin token is configured"),
        (404, "no such order or route"),
        (409, "duplicate nonce, order in flight, or nothing left to cancel"),
        (408, "the body did not arrive whole in time (request_timeout)"),
        (413, "the body is over the size limit"),
        (415, "the body is not JSON"),
        (422, "malformed, bad_signature, wrong_domain, expired, unknown_market or insufficient_margin"),
        (429, "rate_limited or resting_cap"),
        (503, "no snapshot from the loop yet"),
    )
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entries of a route's possible errors."""
    return {status: _ERRORS[status] for status in statuses}


_bearer = HTTPBearer(auto_error=False, description="the admin token (environment variable DEFI_INT_ADMIN_TOKEN)")

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


def create_app(state: BotState) -> FastAPI:
    """The API over ``state``; see the module docstring."""
    app = FastAPI(
        title="defi-int keeper API",
        version=__version__,
        description=DESCRIPTION,
        redirect_slashes=False,  # a wrong path is a 404 with a code, never a redirect
    )
    limits = state.config.limits
    app.add_middleware(
        _BodyLimit,
        max_bytes=limits.max_body_bytes,
        timeout=limits.request_timeout,
        on_reject=state.metrics.rejected,
        orders=_OrderIntake(state),
    )
    _handlers(app, state)

    @app.post(
        "/v1/orders",
        status_code=201,
        response_model=OrderAccepted,
        tags=["orders"],
        responses=_errors(408, 409, 413, 415, 422, 429),
    )
    async def post_order(body: OrderSubmission) -> JSONResponse:
        """Submits a signed order. A repeat of an order already taken gives its digest and current status."""
        submitted = await intake.submit_order_async(state, body)  # the journal's commit is awaited, not blocked on
        record = submitted.record
        return JSONResponse({"digest": _hex(record.digest), "status": record.status}, status_code=201)

    @app.get("/v1/orders", response_model=OrdersOut, tags=["orders"], responses=_errors(422))
    def list_orders(
        trader: Annotated[Address, Query(description="the trader's address")],
        status: Annotated[
            list[StatusFilter] | None,
            Query(description="only these statuses (repeat the parameter); live = resting or partially_filled"),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1_000, description="at most this many, the latest received first")] = 100,
    ) -> OrdersOut:
        """A trader's orders, the latest received first: status, what is filled and left, and why not filled."""
        wanted = list(dict.fromkeys(s for each in status or ORDER_STATUSES for s in _STATUSES.get(each, (each,))))
        records = state.journal.orders_of(trader, wanted, limit=limit)
        return OrdersOut(
            trader=trader,
            orders=[
                OrderSummaryOut(
                    digest=_hex(r.digest),
                    status=r.status,  # type: ignore[arg-type]
                    order=_message(r),
                    filled=str(r.filled),
                    remaining=str(r.remaining),
                    reason=None if r.reason is None else ReasonOut(code=r.reason.code, message=r.reason.detail,
                                                                   at=r.reason.at),
                    receivedAt=r.received_at,
                )
                for r in records
            ],
        )  # fmt: skip

    @app.get("/v1/orders/{digest}", response_model=OrderOut, tags=["orders"], responses=_errors(404, 422))
    def get_order(digest: str) -> OrderOut:
        """An order's status, its fills, why it has not filled, and its history."""
        key = _digest(digest)
        record = state.journal.get_order(key)
        if record is None:
            raise ApiRejection(Reason.NOT_FOUND, f"no order {digest}")
        return _order_out(state, record)

    @app.post(
        "/v1/orders/{digest}/cancel",
        response_model=OrderAccepted,
        tags=["orders"],
        responses=_errors(404, 409, 413, 415, 422),
    )
    def cancel_order(digest: str, body: CancelRequest) -> OrderAccepted:
        """Cancels the rest of an order, on its trader's EIP-712 signature of ``CancelOrder(order, deadline)``."""
        record, _ = intake.cancel_order(state, _digest(digest), body)
        return OrderAccepted(digest=_hex(record.digest), status=record.status)

    @app.get("/v1/quote", response_model=QuoteOut, tags=["market"], responses=_errors(422, 503))
    def get_quote(
        market: Annotated[int, Query(ge=0, lt=2**32)],
        side: Annotated[Side, Query()],
        size: Annotated[Uint, Query(description="base units, 1e18 fixed point")],
    ) -> QuoteOut:
        """The price the desk would fill ``size`` at now, and the AMM's price for the same size."""
        snapshot = state.snapshot()
        if snapshot is None:
            raise ApiRejection(Reason.NO_SNAPSHOT, "the loop has not published a market snapshot yet")
        if market not in state.config.markets or market not in snapshot.markets:
            raise ApiRejection(Reason.UNKNOWN_MARKET, f"market {market} is not listed")
        amount = int(size)
        if amount == 0:
            raise ApiRejection(Reason.MALFORMED, "size: must be positive")
        config = state.config
        seen = snapshot.markets[market]
        q = quote(
            seen,
            pricing=config.pricing[market],
            risk_limit=config.risk_limits.get(market, 0),
            trader_buys=side == "buy",
            size=amount,
            price_scale=snapshot.price_scale,
            now=snapshot.time,
            block=snapshot.block,
            gate=state.board().gate(market, seen.inventory),
        )
        return QuoteOut(
            market=q.market,
            side=side,
            size=str(q.size),
            deskPrice=_str(q.desk_price),
            deskReason=_reason(q.desk_reason, q.desk_detail),
            ammPrice=_str(q.amm_price),
            ammQuote=_str(q.amm_quote),
            ammReason=_reason(q.amm_reason, q.amm_detail),
            oraclePrice=str(q.oracle_price),
            oracleFresh=q.oracle_fresh,
            block=q.block,
            time=q.time,
        )

    @app.get("/v1/markets", response_model=MarketsOut, tags=["market"], responses=_errors(503))
    def get_markets() -> MarketsOut:
        """Every listed market: oracle, AMM, the desk's inventory and the breakers open on it."""
        snapshot = state.snapshot()
        if snapshot is None:
            raise ApiRejection(Reason.NO_SNAPSHOT, "the loop has not published a market snapshot yet")
        board = state.board()
        markets = []
        for m in sorted(snapshot.markets):
            s = snapshot.markets[m]
            pool = s.pool
            markets.append(
                MarketOut(
                    market=m,
                    oraclePrice=str(s.oracle_price),
                    oracleUpdatedAt=s.updated_at,
                    oracleMaxAge=s.max_age,
                    oracleFresh=s.fresh,
                    ammMid=_str(s.amm_mid(snapshot.price_scale)),
                    ammBase=None if pool is None else str(pool.base),
                    ammQuote=None if pool is None else str(pool.quote),
                    ammFeeBps=None if pool is None else pool.fee_bps,
                    inventory=str(s.inventory),
                    inventoryCap=str(s.inventory_cap),
                    breakers=_breakers(board, m),
                )
            )
        return MarketsOut(block=snapshot.block, time=snapshot.time, markets=markets)

    @app.post(
        "/v1/admin/kill-switch",
        response_model=KillSwitchOut,
        tags=["admin"],
        responses=_errors(401, 403, 413, 415, 422),
    )
    def kill_switch(
        body: KillSwitchIn, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> KillSwitchOut:
        """Engages (stops every settle and hedge) or releases the kill switch; journaled, kept across restarts."""
        _check_admin(state, credentials)
        state.set_kill_switch(body.engaged, body.reason)
        reason = state.journal.kill_switch()
        return KillSwitchOut(engaged=reason is not None, reason=reason)

    @app.get("/healthz", response_model=HealthOut, tags=["service"], responses={503: {"model": HealthOut}})
    def healthz() -> JSONResponse:
        """200 while the loop ran within 5x its interval, 503 otherwise."""
        ok, age, detail = state.health()
        body = HealthOut(status="ok" if ok else "stalled", loopAgeSeconds=age, detail=detail)
        return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

    @app.get("/readyz", response_model=ReadyOut, tags=["service"], responses={503: {"model": ReadyOut}})
    def readyz() -> JSONResponse:
        """200 when the node is reachable, every oracle fresh and every breaker closed; 503 otherwise."""
        checks = state.readiness()
        ready = all(c.ok for c in checks.values())
        body = ReadyOut(
            ready=ready,
            checks={k: CheckOut(ok=c.ok, detail=c.detail) for k, c in checks.items()},
            breakers=_breakers(state.board(), None),
        )
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    @app.get(
        "/metrics",
        tags=["service"],
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE.split(";")[0]: {}}, "description": "Prometheus text format"}},
    )
    def metrics() -> Response:
        """The service's metrics in Prometheus text format."""
        return Response(state.metrics.render(), media_type=CONTENT_TYPE)

    return app


# --------------------------------------------------------------------------- errors


def _handlers(app: FastAPI, state: BotState) -> None:
    def reply(code: str, status: int, message: str) -> JSONResponse:
        state.metrics.rejected(code)
        return JSONResponse({"code": code, "message": _single_line(message)}, status_code=status)

    async def rejection(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiRejection)
        return reply(exc.code, exc.status, exc.message)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return reply("malformed", 422, _one_line(exc.errors()))

    async def http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return reply("not_found", 404, f"no route {request.method} {request.url.path}")
        if exc.status_code == 405:
            return reply("method_not_allowed", 405, f"{request.method} is not allowed on {request.url.path}")
        return reply("malformed", 422, f"the request does not parse: {exc.detail}")

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return reply("internal", 500, f"internal error ({type(exc).__name__}); the request changed nothing")

    app.add_exception_handler(ApiRejection, rejection)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(Exception, unexpected)


def _one_line(errors: Any) -> str:
    """The first validation error as ``where: what`` (the field's dotted path, and what was expected)."""
    if not errors:
        return "the request does not parse"
    error = errors[0]
    loc = [_field(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
    where = ".".join(loc) or "body"
    kind = error.get("type", "")
    if kind == "json_invalid":
        return f"the body is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})"
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        return f"{where}: must be {PATTERN_MEANING.get(pattern, 'of the form ' + pattern)}"
    if kind == "extra_forbidden":
        return f"{where}: unknown field"
    if kind == "missing":
        return f"{where}: missing"
    return f"{where}: {error.get('msg', 'invalid')}"


def _field(part: object) -> str:
    """A path segment of a field as written; quoted when it is not a plain name (a client's own key)."""
    text = str(part)
    return text if text.replace("_", "a").isalnum() and text.isascii() else json.dumps(text)


def _single_line(message: str) -> str:
    return message.replace("\r", "\\r").replace("\n", "\\n")


class _BodyLimit:
    """Refuses a body over ``max_bytes`` (413), a POST body that is not JSON (415), or one that does not
    arrive whole within ``timeout`` seconds (408, and the connection is closed: a slow client holds
    nothing), before parsing. ``POST /v1/orders``, the hot path, is then answered by ``orders``
    without FastAPI's routing (the same model, intake and error bodies; see ``_OrderIntake``)."""

    def __init__(
        self,
        app: Any,
        max_bytes: int,
        timeout: float,
        on_reject: Callable[[str], None],
        orders: Callable[[bytes, Send], Awaitable[None]] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.on_reject = on_reject
        self.orders = orders

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, Reason.TOO_LARGE, f"the body is {declared} bytes, over {self.max_bytes}")
            return
        chunks, size = [], 0
        deadline = asyncio.get_running_loop().time() + self.timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - asyncio.get_running_loop().time()))
            except TimeoutError:
                await self._refuse(
                    send, Reason.REQUEST_TIMEOUT, f"the body did not arrive whole within {self.timeout:g} s", close=True
                )
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send, Reason.TOO_LARGE, f"the body is over {self.max_bytes} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if size and media != "application/json":
            await self._refuse(send, Reason.UNSUPPORTED_MEDIA_TYPE, f"the body must be application/json, not {media!r}")
            return
        body = b"".join(chunks)
        if self.orders is not None and scope["path"] == "/v1/orders" and scope["method"] == "POST":
            await self.orders(body, send)
            return
        sent = False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, reason: Reason, message: str, *, close: bool = False) -> None:
        self.on_reject(reason.code)
        headers = {"connection": "close"} if close else None
        assert reason.status is not None  # a reason the API answers with
        response = JSONResponse({"code": reason.code, "message": message}, status_code=reason.status, headers=headers)
        await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> MutableMapping[str, Any]:
    return {"type": "http.disconnect"}


class _OrderIntake:
    """``POST /v1/orders`` without FastAPI's routing and dependency machinery (half the API's CPU per
    order): the body is validated by the route's own model (``OrderSubmission``, pydantic-core straight
    from the bytes), submitted through ``intake``, and answered with the bodies and codes the route and
    the error handlers give. The FastAPI route stays, for the OpenAPI document."""

    def __init__(self, state: BotState) -> None:
        self.state = state

    async def __call__(self, body: bytes, send: Send) -> None:
        try:
            submission = OrderSubmission.model_validate_json(body)
            record = (await intake.submit_order_async(self.state, submission)).record
        except ValidationError as exc:
            await self._reply(send, 422, {"code": "malformed", "message": _one_line(exc.errors())}, "malformed")
        except ApiRejection as exc:
            await self._reply(send, exc.status, {"code": exc.code, "message": _single_line(exc.message)}, exc.code)
        except Exception as exc:
            _log.error("unexpected error on POST /v1/orders", exc_info=exc)
            message = f"internal error ({type(exc).__name__}); the request changed nothing"
            await self._reply(send, 500, {"code": "internal", "message": message}, "internal")
        else:
            await self._reply(send, 201, {"digest": _hex(record.digest), "status": record.status})

    async def _reply(self, send: Send, status: int, content: dict[str, str], code: str | None = None) -> None:
        if code is not None:
            self.state.metrics.rejected(code)
        data = json.dumps(content, separators=(",", ":")).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


# --------------------------------------------------------------------------- rendering


def _reason(reason: Reason | None, detail: str) -> ReasonOut | None:
    return None if reason is None else ReasonOut(code=reason.code, message=detail or reason.message)


def _order_out(state: BotState, record: OrderRecord) -> OrderOut:
    journal = state.journal
    order = record.order
    flight = journal.in_flight(record.digest)
    reason = record.reason
    if record.live and flight is None:
        blocked = state.board().blocks_settle(order.market)
        if blocked is not None:  # the board is newer than the loop's last word
            reason = ReasonNote(Reason.BREAKER_OPEN, blocked.reason(), state.board_at())
    return OrderOut(
        digest=_hex(record.digest),
        status=record.status,  # type: ignore[arg-type]
        order=_message(record),
        filled=str(record.filled),
        remaining=str(record.remaining),
        reason=None if reason is None else ReasonOut(code=reason.code, message=reason.detail, at=reason.at),
        inFlight=None
        if flight is None
        else InFlightOut(settleId=flight.settle_id, stage=flight.stage, txHash=_hex_or_none(flight.tx_hash)),
        receipt=_receipt_out(record.receipt),
        trace=_trace_out(record.trace),
        score=None
        if record.score is None
        else ScoreOut(
            model=record.score["model"],
            pToxic=record.score["p_toxic"],
            expectedMarkoutBps=record.score["expected_markout_bps"],
        ),
        fills=[
            LegOut(
                txHash=_hex(leg.tx_hash),
                block=leg.block_number,
                blockHash=_hex(leg.block_hash),
                venue=leg.leg.venue,
                size=str(leg.leg.size),
                price=str(leg.leg.price),
                quote=str(leg.leg.quote),
                fee=str(leg.leg.fee),
            )
            for leg in journal.order_fills(record.digest)
        ],
        history=[
            EventOut(at=e.at, event=e.event, status=e.status, detail=e.detail)
            for e in journal.order_history(record.digest)
        ],
    )


def _message(record: OrderRecord) -> OrderMessage:
    return OrderMessage(**{k: _json(v) for k, v in record.order.as_message().items()})


def _receipt_out(seen: Receipt | None) -> ReceiptOut | None:
    if seen is None:
        return None
    return ReceiptOut(
        time=seen.time, block=seen.block, oraclePrice=str(seen.oracle_price), oracleFresh=seen.oracle_fresh,
        ammMid=str(seen.amm_mid), deskPrice=_str(seen.desk_price), ammPrice=_str(seen.amm_price),
        marketable=seen.marketable,
    )  # fmt: skip


def _trace_out(trace: dict[str, Any] | None) -> TraceOut | None:
    """The journaled trace (``OrderTrace.as_dict``) as the API shows it."""
    if trace is None:
        return None
    code = trace["reason"]
    decision = trace["decision"]
    return TraceOut(
        action=trace["action"],
        reason=None if code is None else ReasonOut(code=code, message=trace["detail"]),
        remaining=trace["remaining"],
        internalSize=trace["internal_size"],
        internalPrice=trace["internal_price"],
        ammSize=trace["amm_size"],
        ammQuote=trace["amm_quote"],
        mark=trace["mark"],
        ammMid=trace["amm_mid"],
        deskQuote=trace["desk_quote"],
        ammReference=trace["amm_reference"],
        time=trace["now"],
        decision=None
        if decision is None
        else DecisionOut(
            model=decision["model"],
            pToxic=decision["p_toxic"],
            expectedMarkoutBps=decision["expected_markout_bps"],
            spreadBps=decision["spread_bps"],
            riskBps=decision["risk_bps"],
            evInternalBps=decision["ev_internal_bps"],
            routeCostBps=decision["route_cost_bps"],
            widenBps=decision["widen_bps"],
            cap=decision["cap"],
        ),
    )


def _breakers(board: BreakerBoard, market: int | None) -> list[BreakerOut]:
    trips = board.trips if market is None else [t for t in board.trips if t.market in (None, market)]
    return [BreakerOut(name=t.name, market=t.market, detail=t.detail) for t in trips]


def _check_admin(state: BotState, credentials: HTTPAuthorizationCredentials | None) -> None:
    if state.admin_token is None:
        raise ApiRejection(Reason.ADMIN_DISABLED, "no admin token is configured (set DEFI_INT_ADMIN_TOKEN)")
    given = "" if credentials is None else credentials.credentials
    if not hmac.compare_digest(given.encode(), state.admin_token.encode()):
        raise ApiRejection(Reason.UNAUTHORIZED, "missing or wrong admin token (Authorization: Bearer ...)")


def _digest(text: str) -> bytes:
    if not _DIGEST.fullmatch(text):
        raise ApiRejection(Reason.MALFORMED, "digest: must be 0x and 64 hex digits")
    return bytes.fromhex(text[2:])


def _json(value: Any) -> Any:
    return value if isinstance(value, (bool, str)) else str(value)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _hex_or_none(value: bytes | None) -> str | None:
    return None if value is None else _hex(value)


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)
