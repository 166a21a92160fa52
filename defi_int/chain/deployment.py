"""The deployment file: what ``defi-int deploy`` writes and every bot command reads back.

``deploy(chain, params, ...)`` deploys the protocol (``deploy.deploy_system``) with the operator's
owner and keeper accounts and returns a ``Deployment``: the chain id, the block the deployment
ended in (number and hash), the contracts' addresses, the accounts' addresses (never a key), the
EIP-712 domain orders are signed in, and the deployed parameters (``SystemParams``, every market's
symbol and annualized volatility, which the keeper prices with). ``Deployment.to_json`` is the
file; ``read_deployment(path)`` reads one back, checking every field as the parameters'
declarations say and naming the file and the key of the first problem in one line
(``ConfigError``). ``attach(chain, deployment, owner=..., keeper=...)`` builds the ``System`` of a
deployment on a node, after checking the node is the deployment's chain and holds its contracts.

Data flow: ``defi-int deploy`` → ``deploy`` → ``write_deployment`` (atomic); ``defi-int keeper``
and ``defi-int traders`` → ``read_deployment`` → ``attach`` → the keeper's venue, the agents.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address

from defi_int.chain.backend import Chain
from defi_int.chain.deploy import System, deploy_system
from defi_int.exceptions import ChainError, ConfigError, ParamError
from defi_int.orders.eip712 import NAME, VERSION, Domain
from defi_int.params import MarketParams, ProtocolParams, SystemParams, declared, fixed_to_str, values_of
from defi_int.types import to_fixed

FORMAT_VERSION = 2  # 2: the desk's shares (DeskShares), protocol v3's parameters
CONTRACTS = ("CollateralToken", "PriceOracle", "Vault", "PerpAmm", "Settlement", "DeskShares")
ACCOUNTS = ("owner", "keeper", "fee_recipient")
#: The annualized volatility a market is priced with when the deployment does not say (``PathParams``'s default).
DEFAULT_VOLATILITY = 0.8


@dataclass(frozen=True)
class Deployment:
    """A deployed system, as the deployment file holds it; see the module docstring."""

    chain_id: int
    block: int  # the last block of the deployment
    block_hash: bytes
    contracts: Mapping[str, str]  # contract name -> checksummed address
    accounts: Mapping[str, str]  # owner, keeper, fee_recipient -> checksummed address
    params: SystemParams
    symbols: Mapping[int, str]  # market -> symbol
    volatility: Mapping[int, float]  # market -> annualized volatility the keeper prices with
    rpc_url: str | None = None  # the node it was deployed through (the default node of its clients)

    @property
    def domain(self) -> Domain:
        return Domain(self.chain_id, self.contracts["Settlement"])

    @property
    def markets(self) -> tuple[int, ...]:
        return tuple(m.market_id for m in self.params.markets)

    def to_json(self) -> str:
        protocol = self.params
        return (
            json.dumps(
                {
                    "version": FORMAT_VERSION,
                    "rpc_url": self.rpc_url,
                    "chain_id": self.chain_id,
                    "block": self.block,
                    "block_hash": "0x" + self.block_hash.hex(),
                    "domain": {**self.domain.as_dict()},
                    "contracts": dict(self.contracts),
                    "accounts": dict(self.accounts),
                    "protocol": _plain(protocol, ProtocolParams),
                    "markets": [
                        {
                            **_plain(m, MarketParams),
                            "symbol": self.symbols.get(m.market_id, f"M{m.market_id}"),
                            "volatility": self.volatility.get(m.market_id, DEFAULT_VOLATILITY),
                        }
                        for m in protocol.markets
                    ],
                },
                indent=2,
            )
            + "\n"
        )


def deploy(
    chain: Chain,
    params: SystemParams,
    *,
    owner: LocalAccount | None = None,
    keeper: LocalAccount | None = None,
    symbols: Mapping[int, str] | None = None,
    volatility: Mapping[int, float] | None = None,
) -> tuple[System, Deployment]:
    """Deploys ``params`` on ``chain`` with the given accounts; returns the system and its record."""
    system = deploy_system(chain, params, owner=owner, keeper=keeper)
    block = chain.node.block("latest")
    if block is None:
        raise ChainError(f"{chain.name} has no latest block after the deployment")
    contracts = {
        "CollateralToken": str(system.token.address),
        "PriceOracle": str(system.oracle.address),
        "Vault": str(system.vault.address),
        "PerpAmm": str(system.amm.address),
        "Settlement": str(system.settlement.address),
        "DeskShares": str(system.desk_shares.address),
    }
    accounts = {
        "owner": system.owner_account.address,
        "keeper": system.keeper_account.address,
        "fee_recipient": system.fee_recipient,
    }
    markets = [m.market_id for m in params.markets]
    return system, Deployment(
        chain.chain_id,
        block.number,
        block.hash,
        contracts,
        accounts,
        params,
        {m: (symbols or {}).get(m, f"M{m}") for m in markets},
        {m: float((volatility or {}).get(m, DEFAULT_VOLATILITY)) for m in markets},
        chain.url,
    )


def write_deployment(deployment: Deployment, path: str | Path) -> None:
    """Writes the deployment file atomically (a temporary file beside it, renamed over it)."""
    target = Path(path)
    handle, temp = tempfile.mkstemp(dir=target.parent or Path("."), prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(deployment.to_json())
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def read_deployment(path: str | Path) -> Deployment:
    """Reads and checks a deployment file; the first problem raises ``ConfigError`` naming file and key."""
    where = str(path)
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where}: file not found (write one with `defi-int deploy`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: not JSON: {exc.msg} at line {exc.lineno}") from None
    reader = _Reader(where)
    return reader.deployment(raw)


def attach(
    chain: Chain, deployment: Deployment, *, owner: LocalAccount | None = None, keeper: LocalAccount | None = None
) -> System:
    """The ``System`` of ``deployment`` on ``chain``; the node must be its chain and hold its contracts.

    ``owner`` and ``keeper`` are the operator's accounts when the caller acts as them; their
    addresses must be the deployment's.
    """
    if chain.chain_id != deployment.chain_id:
        raise ConfigError(
            f"the deployment is on chain {deployment.chain_id}, the node at {chain.name} is chain {chain.chain_id}"
        )
    for name, address in deployment.contracts.items():
        if not chain.node.code(address):
            raise ConfigError(f"the node at {chain.name} has no contract at {address} ({name} of the deployment)")
    for role, account in (("owner", owner), ("keeper", keeper)):
        if account is not None and account.address != deployment.accounts[role]:
            raise ConfigError(
                f"the {role} key is for {account.address}, the deployment's {role} is {deployment.accounts[role]}"
            )
    contract = deployment.contracts
    return System(
        chain,
        deployment.params,
        chain.contract("CollateralToken", contract["CollateralToken"]),
        chain.contract("PriceOracle", contract["PriceOracle"]),
        chain.contract("Vault", contract["Vault"]),
        chain.contract("PerpAmm", contract["PerpAmm"]),
        chain.contract("Settlement", contract["Settlement"]),
        owner,
        keeper,
        deployment.accounts["fee_recipient"],
        chain.contract("DeskShares", contract["DeskShares"]),
    )


# --------------------------------------------------------------------------- reading


def _plain(obj: Any, cls: type) -> dict[str, Any]:
    """The declared fields of ``cls`` read from ``obj`` by their keys, amounts as exact decimal strings."""
    out: dict[str, Any] = {}
    for f, param in declared(cls):
        value = getattr(obj, f.name)
        out[param.key or f.name] = fixed_to_str(value) if param.kind == "amount" and value is not None else value
    return out


class _Reader:
    """Reads the parsed JSON of a deployment file; every problem names the file and the key."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.where}: {key}: {problem}")

    def table(self, raw: Any, key: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(key, "must be an object")
        return raw

    def integer(self, raw: Mapping[str, Any], key: str, path: str) -> int:
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(path, f"must be a non-negative integer, got {value!r}")
        return value

    def address(self, raw: Mapping[str, Any], key: str, path: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not is_address(value):
            raise self.fail(path, f"must be a 0x-prefixed 20-byte address, got {value!r}")
        return to_checksum_address(value)

    def deployment(self, raw: Any) -> Deployment:
        top = self.table(raw, "(top level)")
        version = top.get("version")
        if version != FORMAT_VERSION:
            raise self.fail(
                "version", f"this defi-int reads version {FORMAT_VERSION} deployment files, got {version!r}"
            )
        chain_id = self.integer(top, "chain_id", "chain_id")
        block = self.integer(top, "block", "block")
        block_hash = top.get("block_hash")
        if not isinstance(block_hash, str) or len(block_hash) != 66 or not block_hash.startswith("0x"):
            raise self.fail("block_hash", f"must be 0x and 64 hex digits, got {block_hash!r}")
        try:
            hash_bytes = bytes.fromhex(block_hash[2:])
        except ValueError:
            raise self.fail("block_hash", f"must be 0x and 64 hex digits, got {block_hash!r}") from None
        contracts_raw = self.table(top.get("contracts"), "contracts")
        contracts = {name: self.address(contracts_raw, name, f"contracts.{name}") for name in CONTRACTS}
        accounts_raw = self.table(top.get("accounts"), "accounts")
        accounts = {name: self.address(accounts_raw, name, f"accounts.{name}") for name in ACCOUNTS}
        domain = self.table(top.get("domain"), "domain")
        expected = {"name": NAME, "version": VERSION, "chainId": chain_id, "verifyingContract": contracts["Settlement"]}
        for key, value in expected.items():
            if str(domain.get(key)).lower() != str(value).lower():
                problem = f"must be {value!r} (from chain_id and contracts.Settlement), got {domain.get(key)!r}"
                raise self.fail(f"domain.{key}", problem)
        protocol = self.declared(self.table(top.get("protocol"), "protocol"), ProtocolParams, "protocol")
        markets_raw = top.get("markets")
        if not isinstance(markets_raw, list) or not markets_raw:
            raise self.fail("markets", "must be a non-empty list of markets")
        markets, symbols, volatility = [], {}, {}
        for index, entry in enumerate(markets_raw):
            path = f"markets[{index}]"
            table = self.table(entry, path)
            rest = {k: v for k, v in table.items() if k not in ("symbol", "volatility")}
            market = self.declared(rest, MarketParams, path)
            markets.append(market)
            symbol = table.get("symbol", f"M{market.market_id}")
            if not isinstance(symbol, str) or not symbol.isprintable():
                raise self.fail(f"{path}.symbol", f"must be a printable string, got {symbol!r}")
            sigma = table.get("volatility", DEFAULT_VOLATILITY)
            if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not 0 <= sigma <= 10:
                raise self.fail(f"{path}.volatility", f"must be a number within 0..10 (annualized), got {sigma!r}")
            symbols[market.market_id] = symbol
            volatility[market.market_id] = float(sigma)
        try:
            params = SystemParams(**values_of(protocol, ProtocolParams), markets=tuple(markets))
        except ParamError as exc:
            raise self.fail(exc.path, exc.problem) from None
        rpc_url = top.get("rpc_url")
        if rpc_url is not None and (not isinstance(rpc_url, str) or not rpc_url.startswith(("http://", "https://"))):
            raise self.fail("rpc_url", f"must be an http(s) URL or null, got {rpc_url!r}")
        return Deployment(chain_id, block, hash_bytes, contracts, accounts, params, symbols, volatility, rpc_url)

    def declared(self, raw: Mapping[str, Any], cls: type, path: str) -> Any:
        """An instance of the declared ``cls`` from ``raw`` (keys as the declarations name them)."""
        fields = declared(cls)
        keys = {param.key or f.name for f, param in fields}
        for key in raw:
            if key not in keys:
                raise self.fail(f"{path}.{key}", f"unknown key (known: {', '.join(sorted(keys))})")
        values: dict[str, Any] = {}
        for f, param in fields:
            key = param.key or f.name
            if key not in raw:
                continue
            value = raw[key]
            if param.kind == "amount" and value is not None:
                try:
                    value = to_fixed(value if isinstance(value, str) else str(value))
                except ValueError as exc:
                    raise self.fail(f"{path}.{key}", str(exc)) from None
            values[f.name] = value
        try:
            return cls(**values)
        except ParamError as exc:
            raise self.fail(f"{path}.{exc.path}", exc.problem) from None
        except TypeError as exc:
            raise self.fail(path, str(exc)) from None
