"""The JSON-RPC client's retry policy: failures in transit are retried with backoff; failures in a
row open the circuit (calls fail at once, the node is left alone) until its cooldown; an answer that
is an error (a revert) is the node working, neither retried nor counted."""

from __future__ import annotations

import time

import pytest
from chaosproxy import ChaosProxy

from defi_int.chain.node import Call, CallReverted
from defi_int.chain.rpc import CircuitBreaker, RetryPolicy, RpcNode
from defi_int.exceptions import NodeUnavailable

pytestmark = pytest.mark.node


def test_failures_are_retried_then_open_the_circuit_until_its_cooldown(anvil):
    with ChaosProxy(anvil.url, rate=1.0) as proxy:
        proxy.kinds = ("fail", "drop_before", "error")
        errors: list[str] = []
        policy = RetryPolicy(retries=2, backoff=0.01, circuit=CircuitBreaker(failures=3, cooldown=0.5))
        policy.on_error = errors.append
        node = RpcNode(proxy.url, timeout=2, policy=policy)

        with pytest.raises(NodeUnavailable):
            node.block_number()
        assert proxy.stats["calls"] == 3 and errors == ["eth_blockNumber"] * 3  # a try and two retries
        with pytest.raises(NodeUnavailable, match="circuit open"):
            node.block_number()
        assert proxy.stats["calls"] == 3 and policy.circuit.opened == 1  # the node was left alone

        proxy.rate = 0.0
        with pytest.raises(NodeUnavailable, match="circuit open"):
            node.block_number()
        time.sleep(0.6)
        assert node.block_number() >= 0 and not policy.circuit.is_open


def test_a_transient_failure_between_good_answers_is_retried_away(anvil):
    with ChaosProxy(anvil.url, rate=0.3, seed=3) as proxy:
        policy = RetryPolicy(retries=12, backoff=0.001, circuit=CircuitBreaker(failures=100))
        node = RpcNode(proxy.url, timeout=2, policy=policy)
        numbers = [node.block_number() for _ in range(40)]
    assert len(numbers) == 40 and proxy.stats["calls"] > 40


def test_an_answered_error_is_neither_retried_nor_counted(anvil):
    with ChaosProxy(anvil.url, rate=0.0) as proxy:
        policy = RetryPolicy(retries=3, backoff=0.01, circuit=CircuitBreaker(failures=1, cooldown=60))
        node = RpcNode(proxy.url, timeout=2, policy=policy)
        sender = node.accounts()[0]
        calls = proxy.stats["calls"]
        creation = bytes.fromhex("60006000fd")  # revert(0, 0) as creation code
        with pytest.raises(CallReverted):
            node.call(Call(sender, None, creation, 100_000))
        assert proxy.stats["calls"] == calls + 1 and not policy.circuit.is_open
