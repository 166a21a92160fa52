"""What a client needs to sign and post an order, in one place: the API document's text and its example.

The OpenAPI document (``docs/openapi.json``, ``/openapi.json``) opens with ``DESCRIPTION``: the
EIP-712 domain and types, the units, and ``EXAMPLE``, one complete Python client that signs an
order with eth-account's ``encode_typed_data`` and posts it. ``docs/operator/client.md`` shows
the same example, character for character (a test compares them), and a node test runs it against
a real keeper on anvil. The type strings come from the code that hashes them
(``orders.eip712.ORDER_TYPE``, ``bot.cancel.CANCEL_TYPE``).
"""

from __future__ import annotations

from defi_int.bot.cancel import CANCEL_TYPE
from defi_int.orders.eip712 import ORDER_TYPE

#: A complete client: sign one order in the deployment's domain, post it, read its status. It takes
#: the keeper's URL, the deployment file and the trader's key from the environment.
EXAMPLE = """\
import json
import os
import time

import requests
from eth_account import Account
from eth_account.messages import encode_typed_data

api = os.environ.get("DEFI_INT_API", "http://127.0.0.1:8700")
with open(os.environ.get("DEFI_INT_DEPLOYMENT", "deployment.json")) as file:
    domain = json.load(file)["domain"]  # name, version, chainId, verifyingContract (Settlement)
trader = Account.from_key(os.environ["DEFI_INT_TRADER_KEY"])

ONE = 10**18  # sizes and prices are 1e18 fixed point
order = {
    "trader": trader.address,
    "market": 0,
    "isBuy": True,
    "size": ONE // 2,  # 0.5 base units (ETH)
    "limitPrice": 2_100 * ONE,  # pay at most 2,100 USD per base unit
    "expiry": int(time.time()) + 600,  # unix seconds
    "nonce": time.time_ns() // 1_000,  # any number the trader has not used
    "maxFeeBps": 30,
    "allowAmm": True,
}
types = {
    "Order": [
        {"name": "trader", "type": "address"},
        {"name": "market", "type": "uint32"},
        {"name": "isBuy", "type": "bool"},
        {"name": "size", "type": "uint128"},
        {"name": "limitPrice", "type": "uint128"},
        {"name": "expiry", "type": "uint64"},
        {"name": "nonce", "type": "uint256"},
        {"name": "maxFeeBps", "type": "uint16"},
        {"name": "allowAmm", "type": "bool"},
    ]
}
signable = encode_typed_data(domain_data=domain, message_types=types, message_data=order)
signature = trader.sign_message(signable).signature
body = {
    "order": {key: value if isinstance(value, bool) else str(value) for key, value in order.items()},
    "signature": "0x" + bytes(signature).hex(),
}
answer = requests.post(f"{api}/v1/orders", json=body, timeout=10)
print(answer.status_code, answer.json())  # 201 {'digest': '0x...', 'status': 'resting'}
digest = answer.json()["digest"]
print(requests.get(f"{api}/v1/orders/{digest}", timeout=10).json()["status"])
"""

#: The order API's introduction in the OpenAPI document.
DESCRIPTION = f"""\
Signed EIP-712 orders in; their status, fills and quotes out. Every error is `{{code, message}}`.

**Signing.** Orders are EIP-712 messages in the deployment's domain: `name = "DefiInt"`,
`version = "1"`, `chainId` and `verifyingContract` (the Settlement contract), as the deployment
file's `domain` gives them.

    {ORDER_TYPE}
    {CANCEL_TYPE}   (POST /v1/orders/{{digest}}/cancel; order = the order's digest)

**Units.** `size` is in base units and `limitPrice` in USD per base unit, both 1e18 fixed point
(1.5 ETH is `1500000000000000000`; 2,010 USD is `2010000000000000000000`). `expiry` and a cancel's
`deadline` are unix seconds; `nonce` is any uint256 the trader has not used (unordered);
`maxFeeBps` the highest fee accepted, in basis points. Integers travel as decimal strings, booleans
as JSON booleans, bytes as 0x hex; the signature is 65 bytes r|s|v (v 27 or 28, low s).

**Example** (Python, eth-account): sign one order and post it.

```python
{EXAMPLE}```
"""
