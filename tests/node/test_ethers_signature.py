"""An order signed outside Python, by ethers v6, is the same digest and settles, on both backends.

``sign_with_ethers.js`` signs ``typed_data(order, domain)`` with ``Wallet.signTypedData`` and
hashes it with ``TypedDataEncoder.hash``; the digest must equal ``order_digest`` and the
contract's ``hashOrder``, and ``settle`` must accept the signature. The embedded test skips, saying
so, without Node.js and ``contracts/node_modules`` (``make test`` always installs them); the anvil
test fails instead.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from defi_int.orders.eip712 import Domain, order_digest, typed_data
from defi_int.orders.model import Order
from defi_int.orders.validation import FILLED
from defi_int.types import ONE

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parent / "sign_with_ethers.js"


def _as_json(values: dict[str, Any]) -> dict[str, Any]:
    """Integers as decimal strings: JSON numbers lose uint128/uint256 precision in JavaScript."""
    return {k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in values.items()}


def sign_with_ethers(account: LocalAccount, order: Order, domain: Domain, *, required: bool) -> dict[str, str]:
    node = shutil.which("node")
    if node is None or not (REPO_ROOT / "contracts" / "node_modules" / "ethers").is_dir():
        message = "signing with ethers needs Node.js and contracts/node_modules (run `npm ci` in contracts/)"
        if required:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    payload = typed_data(order, domain)
    request = {
        "privateKey": "0x" + bytes(account.key).hex(),
        "domain": _as_json(payload["domain"]),
        "types": payload["types"],
        "message": _as_json(payload["message"]),
    }
    done = subprocess.run(
        [node, str(SCRIPT)], input=json.dumps(request), capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )
    assert done.returncode == 0, f"{SCRIPT.name} failed:\n{done.stderr}"
    result: dict[str, str] = json.loads(done.stdout)
    return result


def _sign_with_ethers_and_settle(
    chain: Any, system: Any, traders: list[LocalAccount], maker: Any, *, required: bool
) -> None:
    settlement, vault = system.settlement, system.vault
    buyer, seller = traders[2], traders[3]
    orders = [
        maker.order(buyer, size=5 * ONE // 2, nonce=2**255 + 7),
        maker.order(seller, is_buy=False, size=3 * ONE, nonce=2**64 + 1),
    ]

    fills = []
    for account, order in zip([buyer, seller], orders, strict=True):
        signed = sign_with_ethers(account, order, maker.domain, required=required)
        digest = bytes.fromhex(signed["digest"].removeprefix("0x"))
        signature = bytes.fromhex(signed["signature"].removeprefix("0x"))

        assert signed["signer"] == account.address
        assert digest == order_digest(order, maker.domain)
        assert digest == chain.call(settlement.functions.hashOrder(order.as_tuple()))
        assert signature == maker.sign(account, order), "RFC 6979 signatures should be byte-identical"
        fills.append(maker.fill(account, order, signature=signature))

    maker.settle(fills)

    assert chain.call(vault.functions.position(buyer.address, 0)) == 5 * ONE // 2
    assert chain.call(vault.functions.position(seller.address, 0)) == -3 * ONE
    for order in orders:
        assert chain.call(settlement.functions.nonceState(order.trader, order.nonce)) == FILLED


def test_orders_signed_by_ethers_hash_alike_everywhere_and_settle(defi_chain, defi_system, defi_traders, defi_orders):
    _sign_with_ethers_and_settle(defi_chain, defi_system, defi_traders, defi_orders, required=False)


@pytest.mark.node
def test_orders_signed_by_ethers_hash_alike_everywhere_and_settle_on_anvil(
    anvil_chain, anvil_system, anvil_traders, anvil_orders
):
    _sign_with_ethers_and_settle(anvil_chain, anvil_system, anvil_traders, anvil_orders, required=True)
