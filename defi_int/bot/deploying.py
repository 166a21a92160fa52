"""``defi-int deploy``: the protocol on a node, with the operator's keys, into a deployment file.

What is deployed: the defaults of ``SystemParams``, or the ``[protocol]`` and ``[[markets]]`` of a
scenario file (``--config``; the same file ``defi-int traders`` plays), with each market's symbol
and volatility recorded for the keeper's pricing. The owner and keeper accounts come from
``DEFI_INT_OWNER_KEY`` / ``DEFI_INT_KEEPER_KEY`` or the key file (``keys``); a node with unlocked
accounts (anvil) funds them with ether when they have none. Every input is checked before the first
transaction, and the file is written whole at the end (``chain.deployment``).
"""

from __future__ import annotations

from pathlib import Path

from defi_int.bot.keys import load_account
from defi_int.chain.backend import Chain
from defi_int.chain.deployment import DEFAULT_VOLATILITY, Deployment, deploy, write_deployment
from defi_int.exceptions import ConfigError
from defi_int.params import SystemParams


def check_out(out: Path) -> None:
    """``--out`` must be a new file in an existing, writable directory."""
    if out.exists():
        raise ConfigError(f"--out {out}: already exists; a deployment file is never overwritten (remove it first)")
    parent = out.parent
    if not parent.is_dir():
        raise ConfigError(f"--out {out}: no directory {parent}")


def deploy_command(
    rpc_url: str, out: str | Path, *, config: str | Path | None = None, key_file: str | Path | None = None
) -> Deployment:
    """Deploys and writes the deployment file; returns what it wrote."""
    out = Path(out)
    check_out(out)
    params, symbols, volatility = SystemParams(), {0: "M0"}, {0: DEFAULT_VOLATILITY}
    if config is not None:
        from defi_int.sim.scenario import load_scenario

        scenario = load_scenario(config)
        params = scenario.system_params()
        symbols = {m.id: m.symbol for m in scenario.markets}
        volatility = {m.id: m.volatility for m in scenario.markets}
    owner = load_account("owner", key_file)
    keeper = load_account("keeper", key_file)
    if owner.address == keeper.address:
        raise ConfigError("the owner and the keeper must be two accounts (two keys)")
    with Chain.connect(rpc_url, manage_clock=False) as chain:
        _, deployment = deploy(chain, params, owner=owner, keeper=keeper, symbols=symbols, volatility=volatility)
    write_deployment(deployment, out)
    return deployment
