"""``defi-int deploy | keeper | keeper report | traders``: every bad input is one line and exit code 2,
checked before anything talks to a node or writes a file."""

from __future__ import annotations

import json
import os

import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from defi_int.chain.deployment import Deployment
from defi_int.cli import main
from defi_int.params import SystemParams

OWNER = Account.from_key(keccak(text="cli owner"))
KEEPER = Account.from_key(keccak(text="cli keeper"))
CONTRACTS = {
    name: "0x" + bytes([i + 1]).hex() * 20
    for i, name in enumerate(("CollateralToken", "PriceOracle", "Vault", "PerpAmm", "Settlement", "DeskShares"))
}


@pytest.fixture
def files(tmp_path, monkeypatch):
    for name in ("DEFI_INT_OWNER_KEY", "DEFI_INT_KEEPER_KEY"):
        monkeypatch.delenv(name, raising=False)
    accounts = {"owner": OWNER.address, "keeper": KEEPER.address, "fee_recipient": "0x" + "ee" * 20}
    deployment = Deployment(
        31337, 20, b"\x01" * 32, CONTRACTS, accounts, SystemParams(), {0: "ETH"}, {0: 0.8}, "http://127.0.0.1:1"
    )
    path = tmp_path / "deployment.json"
    path.write_text(deployment.to_json())
    return tmp_path, path


def run(capsys, *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_the_keeper_needs_its_node_and_deployment(capsys):
    assert "--rpc-url and --deployment required" in run(capsys, "keeper")


def test_a_listen_address_that_is_not_host_and_port_is_refused(capsys, files, monkeypatch):
    _, deployment = files
    monkeypatch.setenv("DEFI_INT_KEEPER_KEY", KEEPER.key.hex())
    err = run(capsys, "keeper", "--rpc-url", "http://127.0.0.1:1", "--deployment", str(deployment), "--listen", "8700")
    assert "--listen '8700': expected HOST:PORT" in err


def test_a_missing_or_broken_deployment_file_is_named(capsys, files):
    folder, _ = files
    assert "file not found" in run(capsys, "keeper", "--rpc-url", "http://x:1", "--deployment", str(folder / "no.json"))
    broken = json.loads((folder / "deployment.json").read_text())
    broken["contracts"]["Vault"] = "0x1234"
    (folder / "bad.json").write_text(json.dumps(broken))
    err = run(capsys, "keeper", "--rpc-url", "http://x:1", "--deployment", str(folder / "bad.json"))
    assert "bad.json: contracts.Vault: must be a 0x-prefixed 20-byte address" in err
    broken = json.loads((folder / "deployment.json").read_text())
    broken["markets"][0]["price"] = "0"
    (folder / "bad.json").write_text(json.dumps(broken))
    assert "markets[0].price: must be within" in run(
        capsys, "keeper", "--rpc-url", "http://x:1", "--deployment", str(folder / "bad.json")
    )


def test_a_bad_keeper_file_names_its_table_and_key(capsys, files, monkeypatch):
    folder, deployment = files
    monkeypatch.setenv("DEFI_INT_KEEPER_KEY", KEEPER.key.hex())
    config = folder / "keeper.toml"
    config.write_text("[bot]\nconfirmations = 0\n")
    base = ("keeper", "--rpc-url", "http://x:1", "--deployment", str(deployment), "--config", str(config))
    assert "keeper.toml: bot.confirmations: must be within 1..10000 blocks, got 0" in run(capsys, *base)
    config.write_text("[bot]\nconfirmation = 2\n")
    assert "bot.confirmation: unknown key 'confirmation' (did you mean 'confirmations'?)" in run(capsys, *base)
    config.write_text("[bots]\n")
    assert "unknown key 'bots'" in run(capsys, *base)
    config.write_text("[bot]\nfee_bump_bps = 500\n")
    assert "bot.fee_bump_bps: must be within 1250..100000 bps, got 500" in run(capsys, *base)
    config.write_text('[keeper]\npricing_mode = "as"\n')  # the paper's mode prices to a session's end
    assert "keeper.toml: keeper.pricing_mode: 'as' prices to the end of a session" in run(capsys, *base)


def test_keys_come_from_the_environment_or_a_private_key_file_and_must_match_the_deployment(capsys, files, monkeypatch):
    folder, deployment = files
    base = ("keeper", "--rpc-url", "http://x:1", "--deployment", str(deployment))
    assert "no keeper key: set DEFI_INT_KEEPER_KEY or give --key-file FILE" in run(capsys, *base)
    monkeypatch.setenv("DEFI_INT_KEEPER_KEY", "0x1234")
    err = run(capsys, *base)
    assert "DEFI_INT_KEEPER_KEY: not a private key" in err and "1234" not in err
    monkeypatch.setenv("DEFI_INT_KEEPER_KEY", OWNER.key.hex())
    assert f"the keeper key is for {OWNER.address}, the deployment's keeper is {KEEPER.address}" in run(capsys, *base)
    monkeypatch.delenv("DEFI_INT_KEEPER_KEY")
    keys = folder / "keys.toml"
    keys.write_text(f'keeper_key = "{KEEPER.key.hex()}"\n')
    os.chmod(keys, 0o644)
    assert "readable by others; keys must be private (chmod 600" in run(capsys, *base, "--key-file", str(keys))


def test_deploy_never_overwrites_a_deployment_file_and_needs_both_keys(capsys, files, monkeypatch):
    folder, deployment = files
    assert "already exists" in run(capsys, "deploy", "--rpc-url", "http://x:1", "--out", str(deployment))
    assert "no owner key" in run(capsys, "deploy", "--rpc-url", "http://x:1", "--out", str(folder / "new.json"))
    assert "no directory" in run(capsys, "deploy", "--rpc-url", "http://x:1", "--out", str(folder / "a" / "b.json"))


def test_a_report_needs_a_journal_and_traders_need_an_api_url(capsys, files, monkeypatch):
    folder, deployment = files
    assert "no such journal file" in run(capsys, "keeper", "report", "--db", str(folder / "no.sqlite"), "--out", "x")
    err = run(capsys, "traders", "--api", "localhost:8700", "--deployment", str(deployment), "--scenario", "s.toml")
    assert "--api 'localhost:8700': expected the keeper's URL" in err
