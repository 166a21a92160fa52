"""Fixtures for the bot service tests: a journal file, a service state, an API client, signers.

The helpers they use (signed orders, snapshots, settle records, the clock) are in ``botkit``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botkit import ADMIN_TOKEN, DOMAIN, KEEPER, Clock, Orders, account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from defi_int.bot.api import create_app
from defi_int.bot.config import ApiLimits, ServiceConfig
from defi_int.bot.journal import Journal
from defi_int.bot.state import BotState
from defi_int.keeper.config import KeeperConfig


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def journal(tmp_path, clock) -> Iterator[Journal]:
    with Journal(tmp_path / "keeper.sqlite", clock=clock) as j:
        yield j


@pytest.fixture
def limits() -> ApiLimits:
    return ApiLimits()


@pytest.fixture
def keeper_config() -> KeeperConfig:
    return KEEPER


@pytest.fixture
def config(limits, keeper_config) -> ServiceConfig:
    return ServiceConfig(domain=DOMAIN, markets=(0,), keeper=keeper_config, limits=limits)


@pytest.fixture
def state(config, journal, clock) -> BotState:
    return BotState(config, journal, clock=clock, environ={"DEFI_INT_ADMIN_TOKEN": ADMIN_TOKEN})


@pytest.fixture
def client(state) -> Iterator[TestClient]:
    with TestClient(create_app(state), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def orders() -> Orders:
    return Orders()


@pytest.fixture
def alice() -> LocalAccount:
    return account(1)


@pytest.fixture
def bob() -> LocalAccount:
    return account(2)
