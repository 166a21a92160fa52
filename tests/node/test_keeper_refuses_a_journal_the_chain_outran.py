"""One keeper per deployment: a journal that lacks what the chain holds is refused at start, or taken in
with ``--recover``; a second journal settling with the same key is caught while running.

A keeper settles a wave of orders on its journal. A keeper started on an empty file for the same
deployment (what silently lost every order answered 201 before) is refused in one line with exit
code 2; with ``--recover`` it rebuilds the settled orders and their fills from the chain, says what
it could not, and its journal passes the audit against the chain. Two keepers with two journals
running at once: the one that sees the other's settle stops with exit code 2.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys

import pytest
from keeperkit import KEYS, KeeperProcess, all_filled, make_desk, wait_for

from defi_int.bot.audit import audit
from defi_int.bot.journal import Journal
from defi_int.cli import main
from defi_int.types import ONE

pytestmark = pytest.mark.node


def cli(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(list(argv))
    return code, err.getvalue()


def test_an_empty_journal_for_a_deployment_that_settled_is_refused_then_recovered(own_anvil, tmp_path, monkeypatch):
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    desk = make_desk(own_anvil.url, tmp_path / "desk", traders=4)
    config = desk.keeper_file(confirmations=1)
    first = tmp_path / "first.sqlite"
    keeper = KeeperProcess(desk, first, config)
    keeper.wait_ready()
    wave = [desk.order(t, is_buy=i % 2 == 0, size=ONE // 2) for i, t in enumerate(desk.traders * 3)]
    for signed in wave:
        assert keeper.post(desk, signed).status_code == 201
    digests = [s[2] for s in wave]
    wait_for(lambda: all_filled(first, digests), 30, "the wave settled")
    assert keeper.stop() == 0

    empty = tmp_path / "empty.sqlite"
    argv = ("keeper", "--rpc-url", desk.url, "--deployment", str(desk.deployment_path), "--db", str(empty),
            "--config", str(config), "--listen", "127.0.0.1:0")  # fmt: skip
    code, err = cli(*argv)
    assert code == 2 and err.count("\n") == 1, err
    assert f"--db {empty}: the chain holds" in err and "--recover" in err

    recovering = KeeperProcess(desk, empty, config, recover=True)
    recovering.wait_ready()
    assert recovering.stop() == 0
    log = empty.with_suffix(".log").read_text()
    assert "recovered from the chain: " in log and f"({len(wave)} orders, {len(wave)} fills)" in log, log
    assert "not on the chain, so not recovered: orders accepted and never settled" in log
    with Journal(empty) as journal:
        result = audit(desk.system, journal, desk.deployment.block, accepted=digests)
        statuses = {journal.get_order(d).status for d in digests}
        legs = [(leg.leg.digest, leg.leg.size, leg.leg.price) for leg in journal.all_legs()]
    with Journal(first) as journal:
        original = [(leg.leg.digest, leg.leg.size, leg.leg.price) for leg in journal.all_legs()]
    assert result.ok, result.line()
    assert statuses == {"filled"} and sorted(legs) == sorted(original)


def test_two_journals_settling_with_one_key_at_once_stop_the_one_that_sees_the_other(own_anvil, tmp_path):
    desk = make_desk(own_anvil.url, tmp_path / "desk", traders=2)
    config = desk.keeper_file(confirmations=1)
    settling = KeeperProcess(desk, tmp_path / "a.sqlite", config)
    settling.wait_ready()
    other = tmp_path / "b.sqlite"
    command = [sys.executable, "-m", "defi_int.cli", "keeper", "--rpc-url", desk.url, "--deployment",
               str(desk.deployment_path), "--db", str(other), "--config", str(config),
               "--listen", "127.0.0.1:0"]  # fmt: skip
    watching = subprocess.Popen(command, env={**KEYS, "PATH": ""}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)  # fmt: skip
    try:
        assert watching.stdout is not None
        assert watching.stdout.readline().startswith("keeper ready: ")  # started, checked the chain: all well
        signed = desk.order(desk.traders[0], is_buy=True, size=ONE // 2)
        assert settling.post(desk, signed).status_code == 201
        _, err = watching.communicate(timeout=60)
    finally:
        if watching.poll() is None:
            watching.kill()
    assert watching.returncode == 2, err
    assert err.count("\n") == 1 and "another keeper with another journal runs for this deployment" in err, err
    assert settling.stop() == 0
