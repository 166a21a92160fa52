"""A trader's and an operator's tools, as Foundry's ``cast`` gives them: fund, sign, post, read, cancel.

::

    defi-int fund   --deployment D --account ADDR --amount TOKENS     mint (test token) and deposit margin
    defi-int order sign --deployment D --market 0 --side buy --size 1.5 --limit-price 2010   -> the POST body
    defi-int order post --api URL [FILE|-]                            POST /v1/orders
    defi-int order status --api URL DIGEST                            GET /v1/orders/{digest}, readable
    defi-int order list --api URL --trader ADDR [--status live]       GET /v1/orders?trader=&status=
    defi-int order cancel --api URL --deployment D DIGEST             the trader's signed CancelOrder

Units: sizes and prices are written as a person writes them (``--size 1.5`` base units,
``--limit-price 2010`` USD per base unit) and converted exactly to the order's 1e18 fixed point
(``types.to_fixed``); margin is in whole tokens (``--amount 10000``, to the token's decimals).
Keys come from the environment (``DEFI_INT_TRADER_KEY``, ``DEFI_INT_OWNER_KEY``) or ``--key-file``,
never a flag (``keys``). An order is signed in the deployment file's EIP-712 domain
(``orders.eip712``), exactly as the API verifies it.

Every problem is one line: bad input (a flag, a file, a key, an order the keeper refuses with a
4xx) is a ``ConfigError`` (exit 2); a keeper or node that does not answer is a ``BotError`` (exit 1).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from defi_int.bot.cancel import sign_cancel
from defi_int.bot.errors import BotError
from defi_int.bot.keys import load_account
from defi_int.chain.deployment import Deployment, read_deployment
from defi_int.exceptions import ConfigError, DefiIntError
from defi_int.orders.eip712 import order_digest
from defi_int.orders.model import Order
from defi_int.orders.signing import sign_order
from defi_int.types import ONE, to_fixed

#: Seconds an HTTP request to the keeper may take.
TIMEOUT = 10.0


class KeeperApi:
    """The keeper's API at ``url``: one-line errors (see the module docstring)."""

    def __init__(self, url: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"--api {url!r}: expected the keeper's URL, e.g. http://127.0.0.1:8700")
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._answer("GET", path, self._send("GET", path, params=params))

    def post(self, path: str, body: Any) -> Any:
        return self._answer("POST", path, self._send("POST", path, json=body))

    def get_text(self, path: str) -> tuple[int, str]:
        response = self._send("GET", path)
        return response.status_code, response.text

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, self.url + path, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise BotError(f"the keeper at {self.url} does not answer ({type(exc).__name__})") from None

    def _answer(self, method: str, path: str, response: requests.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            raise BotError(f"{method} {path}: not a JSON answer (HTTP {response.status_code})") from None
        if 400 <= response.status_code < 500:
            raise ConfigError(f"the keeper refused {method} {path}: {body.get('code')}: {body.get('message')}")
        if response.status_code >= 500:
            raise BotError(f"{method} {path}: HTTP {response.status_code}: {body.get('message', body)}")
        return body


# --------------------------------------------------------------------------- fund


def fund_command(
    deployment_path: str | Path,
    account: str,
    amount: str,
    *,
    rpc_url: str | None = None,
    key_file: str | Path | None = None,
    mint: bool = True,
) -> str:
    """Deposits ``amount`` whole tokens into ``account``'s margin (the owner mints them first, on a test
    deployment); returns one line saying what the account holds now."""
    from eth_utils.address import is_address, to_checksum_address

    from defi_int.chain.deployment import attach

    if not is_address(account):
        raise ConfigError(f"--account {account!r}: not a 20-byte hex address")
    deployment = read_deployment(deployment_path)
    units = _units(amount, deployment)
    owner = load_account("owner", key_file)
    url = _node_url(rpc_url, deployment)
    with _connected(url) as chain:
        system = attach(chain, deployment, owner=owner)
        target = to_checksum_address(account)
        if mint:
            system.deposit_for(target, units)
        else:
            balance = chain.call(system.token.functions.balanceOf(owner.address))
            if balance < units:
                raise ConfigError(f"--no-mint: the owner holds {_tokens(balance, deployment)} tokens, fewer than asked")
            chain.transact(owner, system.token.functions.approve(system.vault.address, units), gas=60_000)
            chain.transact(owner, system.vault.functions.depositFor(target, units), gas=150_000)
        cash = chain.call(system.vault.functions.cash(target))
    verb = "minted and deposited" if mint else "deposited"
    return f"{verb} {_tokens(units, deployment)} tokens for {target}: its margin cash is {_tokens(cash, deployment)}"


# --------------------------------------------------------------------------- orders


def sign_command(
    deployment_path: str | Path,
    *,
    market: int,
    side: str,
    size: str,
    limit_price: str,
    expiry_in: int = 600,
    expiry: int | None = None,
    nonce: int | None = None,
    max_fee_bps: int = 30,
    allow_amm: bool = True,
    key_file: str | Path | None = None,
) -> tuple[dict[str, Any], bytes]:
    """The signed order as ``POST /v1/orders`` takes it (with its domain) and its digest."""
    deployment = read_deployment(deployment_path)
    if market not in deployment.markets:
        raise ConfigError(f"--market {market}: not listed by the deployment (listed: {list(deployment.markets)})")
    if side not in ("buy", "sell"):
        raise ConfigError(f"--side {side!r}: buy or sell")
    trader = load_account("trader", key_file)
    fields: dict[str, Any] = {
        "trader": trader.address,
        "market": market,
        "is_buy": side == "buy",
        "size": _fixed("--size", size),
        "limit_price": _fixed("--limit-price", limit_price),
        "expiry": expiry if expiry is not None else int(time.time()) + expiry_in,
        "nonce": nonce if nonce is not None else time.time_ns() // 1_000,
        "max_fee_bps": max_fee_bps,
        "allow_amm": allow_amm,
    }
    try:
        order = Order(**fields)
    except DefiIntError as exc:
        raise ConfigError(f"the order does not fit its types: {exc}") from None
    if order.size == 0:
        raise ConfigError("--size: must be positive")
    domain = deployment.domain
    signature = sign_order(trader, order, domain)
    message = {k: v if isinstance(v, bool) else str(v) for k, v in order.as_message().items()}
    body = {"order": message, "signature": "0x" + signature.hex(), "domain": _domain(deployment)}
    return body, order_digest(order, domain)


def post_command(api: str, source: str) -> tuple[str, str]:
    """POSTs a signed order (a file, or ``-`` for standard input); returns (digest, status)."""
    text = sys.stdin.read() if source == "-" else _read(source)
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{'stdin' if source == '-' else source}: not JSON ({exc})") from None
    answer = KeeperApi(api).post("/v1/orders", body)
    return str(answer["digest"]), str(answer["status"])


def status_command(api: str, digest: str) -> str:
    """``GET /v1/orders/{digest}``, as a person reads it (several lines)."""
    _check_digest(digest)
    out = KeeperApi(api).get(f"/v1/orders/{digest}")
    order = out["order"]
    size, filled = int(order["size"]), int(out["filled"])
    lines = [
        f"{out['digest']}: {out['status']} ({_base(filled)} of {_base(size)} filled, {_base(int(out['remaining']))} "
        "left)",
        f"  order: {'buy' if order['isBuy'] else 'sell'} {_base(size)} in market {order['market']} at "
        f"{'most' if order['isBuy'] else 'least'} {_price(int(order['limitPrice']))} by {order['trader']}, "
        f"expires {_when(int(order['expiry']))}, nonce {order['nonce']}, fee at most {order['maxFeeBps']} bps, "
        f"{'AMM allowed' if order['allowAmm'] else 'no AMM'}",
    ]
    for leg in out["fills"]:
        lines.append(
            f"  fill: {leg['venue']} {_base(int(leg['size']))} at {_price(int(leg['price']))} (fee {leg['fee']} "
            f"units), block {leg['block']}, tx {leg['txHash']}"
        )
    if out.get("inFlight"):
        flight = out["inFlight"]
        lines.append(f"  in flight: settle {flight['settleId']}, {flight['stage']}, tx {flight['txHash']}")
    if out.get("reason"):
        lines.append(f"  reason: {out['reason']['code']}: {out['reason']['message']}")
    return "\n".join(lines)


def list_command(api: str, trader: str, statuses: list[str], limit: int) -> str:
    """``GET /v1/orders?trader=&status=``, one line an order, the latest received first."""
    params: dict[str, Any] = {"trader": trader, "limit": limit}
    if statuses:
        params["status"] = statuses
    out = KeeperApi(api).get("/v1/orders", params)
    lines = [f"{len(out['orders'])} orders of {out['trader']}"]
    for each in out["orders"]:
        order = each["order"]
        reason = f" ({each['reason']['code']})" if each.get("reason") else ""
        lines.append(
            f"  {each['digest']} {each['status']}{reason}: {'buy' if order['isBuy'] else 'sell'} "
            f"{_base(int(order['size']))} @ {_price(int(order['limitPrice']))}, {_base(int(each['filled']))} filled"
        )
    return "\n".join(lines)


def cancel_command(
    api: str, deployment_path: str | Path, digest: str, *, deadline_in: int = 300, key_file: str | Path | None = None
) -> tuple[str, str]:
    """Signs ``CancelOrder(digest, now + deadline_in)`` with the trader's key and posts it; (digest, status)."""
    _check_digest(digest)
    deployment = read_deployment(deployment_path)
    trader = load_account("trader", key_file)
    deadline = int(time.time()) + deadline_in
    signature = sign_cancel(trader, bytes.fromhex(digest[2:]), deadline, deployment.domain)
    body = {"deadline": str(deadline), "signature": "0x" + signature.hex()}
    answer = KeeperApi(api).post(f"/v1/orders/{digest}/cancel", body)
    return str(answer["digest"]), str(answer["status"])


# --------------------------------------------------------------------------- helpers


def _connected(url: str) -> Any:
    from defi_int.chain.backend import Chain
    from defi_int.exceptions import NodeUnavailable

    try:
        return Chain.connect(url, manage_clock=False)
    except NodeUnavailable as exc:
        raise ConfigError(f"--rpc-url {url}: the node does not answer ({exc.detail})") from None


def _node_url(rpc_url: str | None, deployment: Deployment) -> str:
    url = rpc_url or deployment.rpc_url
    if url is None:
        raise ConfigError("--rpc-url: the deployment file names no node; give the node's URL")
    return url


def _domain(deployment: Deployment) -> dict[str, Any]:
    domain = deployment.domain.as_dict()
    return {**domain, "chainId": str(domain["chainId"])}


def _fixed(flag: str, text: str) -> int:
    try:
        value = to_fixed(text)
    except ValueError as exc:
        raise ConfigError(f"{flag} {text!r}: {exc}") from None
    if value < 0:
        raise ConfigError(f"{flag} {text!r}: must not be negative")
    return value


def _units(amount: str, deployment: Deployment) -> int:
    decimals = deployment.params.decimals
    value = _fixed("--amount", amount)
    scale: int = 10 ** (18 - decimals)
    if value % scale or value == 0:
        raise ConfigError(f"--amount {amount!r}: a positive number of tokens with at most {decimals} decimals")
    return value // scale


def _tokens(units: int, deployment: Deployment) -> str:
    decimals = deployment.params.decimals
    return f"{units / 10**decimals:,.{decimals}f}"


def _base(value: int) -> str:
    return f"{value / ONE:g}"


def _price(value: int) -> str:
    return f"{value / ONE:,.4f}"


def _when(unix: int) -> str:
    try:
        stamp = datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"at {unix}"
    left = unix - time.time()
    return f"{stamp} ({'in ' if left >= 0 else ''}{abs(left):.0f} s{'' if left >= 0 else ' ago'})"


def _check_digest(digest: str) -> None:
    if len(digest) != 66 or not digest.startswith("0x") or any(c not in "0123456789abcdefABCDEF" for c in digest[2:]):
        raise ConfigError(f"{digest!r}: an order digest is 0x and 64 hex digits")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
