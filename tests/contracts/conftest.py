"""Helpers shared by every contract folder: revert and event checks, fresh funded accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from defi_int.exceptions import ContractRevert


def _norm(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v.lower() if isinstance(v, str) else v for k, v in args.items()}


@pytest.fixture
def reverts() -> Callable[..., Any]:
    """``with reverts("Name", arg=value, ...)``: the block must revert with exactly that custom error."""

    @contextmanager
    def check(error_name: str, **args: Any) -> Iterator[pytest.ExceptionInfo[ContractRevert]]:
        with pytest.raises(ContractRevert) as info:
            yield info
        assert info.value.error_name == error_name, str(info.value)
        assert _norm(info.value.args_by_name) == _norm(args), str(info.value)

    return check


@pytest.fixture
def events() -> Callable[[Any, Any, str], list[dict[str, Any]]]:
    """``events(contract, receipt, "Name")``: the args of every such event ``contract`` emitted, in order."""

    def decode(contract: Any, receipt: Any, name: str) -> list[dict[str, Any]]:
        logs = getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD)
        return [dict(log.args) for log in logs if log.address == contract.address]

    return decode


@pytest.fixture
def account(defi_chain) -> Callable[[str], LocalAccount]:
    """``account(name)``: a funded account derived from ``name`` (fresh ether in every test)."""
    return lambda name: defi_chain.account(f"contract-tests:{name}")


@pytest.fixture
def stranger(account) -> LocalAccount:
    return account("stranger")


@pytest.fixture
def alice(account) -> LocalAccount:
    return account("alice")


@pytest.fixture
def bob(account) -> LocalAccount:
    return account("bob")


@pytest.fixture
def carol(account) -> LocalAccount:
    return account("carol")
