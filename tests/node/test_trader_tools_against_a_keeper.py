"""A trader's tools against a real keeper on anvil: the margin check at intake, ``defi-int fund``, the
API document's Python example, ``defi-int order sign|post|status|list|cancel`` and ``defi-int status``.

One keeper process serves the whole file (each step is a client of it, as a person would be).
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest
import requests
from eth_account import Account
from eth_utils.crypto import keccak
from keeperkit import KEYS, KeeperProcess, make_desk, wait_for

from defi_int.bot.apidoc import EXAMPLE
from defi_int.bot.journal import Journal
from defi_int.cli import main
from defi_int.types import ONE

pytestmark = pytest.mark.node


@pytest.fixture
def running(own_anvil, tmp_path, monkeypatch):
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    desk = make_desk(own_anvil.url, tmp_path / "desk", traders=2)
    db = tmp_path / "keeper.sqlite"
    keeper = KeeperProcess(desk, db, desk.keeper_file(confirmations=1))
    keeper.wait_ready()
    yield desk, keeper, db
    assert keeper.stop() == 0


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def filled(db, digest: str) -> bool:
    with Journal(db) as journal:
        record = journal.get_order(bytes.fromhex(digest[2:]))
        return record is not None and record.status == "filled" and not any(journal.backlog().values())


def test_an_unfunded_trader_is_refused_for_margin_then_funded_and_filled_through_the_tools(running, monkeypatch):
    desk, keeper, db = running
    trader = Account.from_key(keccak(text="tools test: a new trader"))
    monkeypatch.setenv("DEFI_INT_TRADER_KEY", trader.key.hex())
    deployment = str(desk.deployment_path)
    sign = ("order", "sign", "--deployment", deployment, "--side", "buy", "--size", "0.5", "--limit-price", "2100")

    code, body, _ = cli(*sign)
    assert code == 0
    refused = requests.post(f"{keeper.api}/v1/orders", json=json.loads(body), timeout=10)
    assert refused.status_code == 422 and refused.json()["code"] == "insufficient_margin", refused.text
    assert "defi-int fund" in refused.json()["message"] and "\n" not in refused.json()["message"]

    code, out, err = cli("fund", "--deployment", deployment, "--account", trader.address, "--amount", "500")
    assert code == 0, err
    assert out.startswith("minted and deposited 500.000000 tokens for " + trader.address)
    assert out.rstrip().endswith("its margin cash is 500.000000"), out  # what the node showed after the deposit

    code, body, err = cli(*sign)
    path = desk.folder / "order.json"
    path.write_text(body)
    code, out, err = cli("order", "post", "--api", keeper.api, str(path))
    assert code == 0, err
    digest, status = out.split()
    assert status == "resting" and err == ""
    wait_for(lambda: filled(db, digest), 20, "the funded trader's order filled")
    code, out, _ = cli("order", "status", "--api", keeper.api, digest)
    assert code == 0 and out.startswith(f"{digest}: filled (0.5 of 0.5 filled, 0 left)")
    assert "  fill: internal 0.5 at " in out
    code, out, _ = cli("order", "list", "--api", keeper.api, "--trader", trader.address, "--status", "filled")
    assert code == 0 and out.splitlines()[0] == f"1 orders of {trader.address}" and digest in out

    far = ("order", "sign", "--deployment", deployment, "--side", "sell", "--size", "0.1", "--limit-price", "9000")
    code, body, _ = cli(*far)
    path.unlink()
    path.write_text(body)
    code, out, _ = cli("order", "post", "--api", keeper.api, str(path))
    resting = out.split()[0]
    code, out, err = cli("order", "cancel", "--api", keeper.api, "--deployment", deployment, resting)
    assert (code, out.split()) == (0, [resting, "cancelled"]), err

    code, out, _ = cli("order", "status", "--api", keeper.api, "0x1234")
    assert code == 2
    code, out, err = cli("order", "post", "--api", keeper.api, str(path))  # a repeat: the same answer
    assert code == 0 and out.split() == [resting, "cancelled"]
    code, out, err = cli("status", "--api", keeper.api)
    assert "orders:" in out and "1 filled" in out and "1 cancelled" in out, out
    assert code in (0, 1) and out.splitlines()[0].startswith(f"keeper {keeper.api}: ")


def test_the_api_documents_python_example_signs_an_order_the_keeper_fills(running, monkeypatch):
    desk, keeper, db = running
    trader = desk.traders[0]
    monkeypatch.setenv("DEFI_INT_API", keeper.api)
    monkeypatch.setenv("DEFI_INT_DEPLOYMENT", str(desk.deployment_path))
    monkeypatch.setenv("DEFI_INT_TRADER_KEY", trader.key.hex())
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(EXAMPLE, "the API document's example", "exec"), {})
    first, status = printed.getvalue().splitlines()
    assert first.startswith("201 {'digest': '0x") and status in ("resting", "filled")
    digest = first.split("'digest': '")[1][:66]
    wait_for(lambda: filled(db, digest), 20, "the example's order filled")
    with Journal(db) as journal:
        record = journal.get_order(bytes.fromhex(digest[2:]))
    assert record is not None and record.order.size == ONE // 2 and record.order.trader == trader.address
