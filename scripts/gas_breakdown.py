"""Benchmark: where one internal fill's gas goes, from an opcode trace on anvil.

Run with ``.venv/bin/python scripts/gas_breakdown.py [--small N] [--large M] [--json PATH]``. It
starts a local anvil, deploys the gas measurement's system (``defi_int.gas``: funding on, the
oracle off the AMM mid), and settles the ``existing`` case (traders holding a position, the next
nonce of the block their book caches, every fill paying funding) twice: with N and with M traders. Both
transactions are traced with ``debug_traceTransaction`` (opcode steps with their stacks), each
step's own cost is attributed to a part (the calls' costs exclude what their callee spent), and
the difference between the two batches divided by M - N is one more fill's cost, by part:
calldata, ecrecover, every storage slot by contract and kind, the event, keccak, calls, memory
and the remaining logic. The parts add up to the measured ``gasUsed`` difference, which is
printed beside them. It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from defi_int.chain import Chain
from defi_int.chain.anvil import find_anvil
from defi_int.gas import WORD, fund_traders, gas_system, settle_batch

CALLS = {"CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"}
ECRECOVER = 1


@contextmanager
def anvil_with_steps() -> Iterator[str]:
    """A local anvil that records opcode steps (``--steps-tracing``), as ``defi_int.chain.anvil`` starts one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    args = ["--host", "127.0.0.1", "--port", str(port), "--hardfork", "prague", "--gas-limit", "60000000"]
    process = subprocess.Popen(
        [find_anvil(), *args, "--balance", "100000000", "--steps-tracing", "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=1)
                break
            except requests.exceptions.ConnectionError:
                time.sleep(0.05)
        body = {"jsonrpc": "2.0", "id": 2, "method": "anvil_setBlockTimestampInterval", "params": [1]}
        requests.post(url, json=body, timeout=5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _trace(chain: Chain, tx_hash: Any) -> list[dict[str, Any]]:
    options = {"disableStorage": True, "disableMemory": True, "disableStack": False, "enableReturnData": False}
    result = chain.w3.provider.make_request("debug_traceTransaction", [tx_hash.to_0x_hex(), options])  # type: ignore[arg-type]
    return list(result["result"]["structLogs"])


def _names(system: Any) -> dict[int, str]:
    return {
        int(str(c.address), 16): name
        for name, c in (("Settlement", system.settlement), ("Vault", system.vault), ("PerpAmm", system.amm))
    } | {int(str(system.oracle.address), 16): "PriceOracle"}


def breakdown(steps: list[dict[str, Any]], names: dict[int, str], settlement: str) -> Counter[str]:
    """Each step's own gas by part; a call's part is its overhead, its callee's steps count apart."""
    parts: Counter[str] = Counter()
    where = [settlement]  # contract name per depth
    for i, step in enumerate(steps):
        op, depth, cost = step["op"], step["depth"], step["gasCost"]
        del where[depth:]
        contract = where[depth - 1]
        if op in CALLS:
            target = int(step["stack"][-2], 16)
            j = next(k for k in range(i + 1, len(steps)) if steps[k]["depth"] <= depth)
            spent = step["gas"] - steps[j]["gas"]
            inner = [s for s in steps[i + 1 : j] if s["depth"] == depth + 1]
            if inner:
                last = inner[-1]
                spent -= inner[0]["gas"] - (last["gas"] - last["gasCost"])
            if target == ECRECOVER:
                parts["ecrecover (precompile + call)"] += spent
            else:
                parts[f"{contract}: calls out"] += spent
            where.append(names.get(target, hex(target)))
        elif op in ("SLOAD", "SSTORE"):
            slot = int(step["stack"][-1], 16)
            kind = {2100: "cold read", 100: "warm read"}.get(cost, str(cost)) if op == "SLOAD" else f"write {cost}"
            parts[f"{contract}: {op} {kind}"] += cost
            parts[f"slot {contract}:{slot:#x}"] += 0  # a zero entry: counts the distinct slots
        elif op.startswith("LOG"):
            parts[f"{contract}: {op} (event)"] += cost
        elif op == "KECCAK256":
            parts[f"{contract}: keccak"] += cost
        else:
            parts[f"{contract}: logic"] += cost
    return parts


def calldata_gas(data: bytes) -> tuple[int, int]:
    """Standard calldata cost and EIP-7623 floor tokens of ``data``."""
    zeros = data.count(0)
    nonzero = len(data) - zeros
    return 4 * zeros + 16 * nonzero, zeros + 4 * nonzero


def run(count: int) -> tuple[int, bytes, Counter[str]]:
    with anvil_with_steps() as url:
        chain = Chain.connect(url)
        system, maker, _ = gas_system(chain)
        traders = fund_traders(system, "trace", count)
        settle_batch(maker, traders, 1)
        settle_batch(maker, traders, 7 * WORD)
        receipt = settle_batch(maker, traders, 7 * WORD + 1)
        tx = chain.w3.eth.get_transaction(receipt["transactionHash"])
        parts = breakdown(_trace(chain, receipt["transactionHash"]), _names(system), "Settlement")
        return int(receipt["gasUsed"]), bytes(tx["input"]), parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=20)
    parser.add_argument("--json", type=str, default=None)
    args = parser.parse_args(argv)
    n, m = args.small, args.large
    print(f"tracing the existing-traders batch with {n} and {m} fills on anvil ...", file=sys.stderr)
    used_n, data_n, parts_n = run(n)
    used_m, data_m, parts_m = run(m)
    fills = m - n
    per_fill: dict[str, float] = {}
    calldata_n, _ = calldata_gas(data_n)
    calldata_m, tokens_m = calldata_gas(data_m)
    per_fill["calldata"] = (calldata_m - calldata_n) / fills
    for key in sorted(set(parts_n) | set(parts_m)):
        if key.startswith("slot "):
            continue
        delta = (parts_m[key] - parts_n[key]) / fills
        if delta:
            per_fill[key] = delta
    slots = sum(1 for k in parts_m if k.startswith("slot ")) - sum(1 for k in parts_n if k.startswith("slot "))
    measured = (used_m - used_n) / fills
    width = max(map(len, per_fill))
    print(f"one more internal fill (existing trader, funding settled), from {n} to {m} fills:")
    for key, value in sorted(per_fill.items(), key=lambda kv: -kv[1]):
        print(f"  {key:<{width}}  {value:>9,.1f}")
    print(f"  {'sum of the parts':<{width}}  {sum(per_fill.values()):>9,.1f}")
    print(f"  {'measured gasUsed difference':<{width}}  {measured:>9,.1f}")
    print(f"distinct storage slots touched per extra fill: {slots / fills:.1f}")
    print(f"calldata bytes per fill: {(len(data_m) - len(data_n)) / fills:.0f}; the {m}-fill batch pays the")
    print(f"EIP-7623 floor only below {21_000 + 10 * tokens_m:,} gas (it used {used_m:,})")
    totals = [f"{k} fills {used:,} gas ({used / k:,.0f}/fill)" for k, used in ((n, used_n), (m, used_m))]
    print("batch totals: " + ", ".join(totals))
    if args.json:
        payload = {"small": n, "large": m, "gas_used": {n: used_n, m: used_m}, "per_fill": per_fill}
        with open(args.json, "w") as out:
            json.dump(payload, out, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
