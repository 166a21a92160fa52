"""One exception tree for defi-int; every error the package raises on purpose is in it.

::

    DefiIntError
    ├── ConfigError                  bad parameters or input files, with what and where
    │   ├── ParamError               a declared parameter out of range or breaking a rule: .owner, .path, .problem
    │   ├── ScenarioError            a scenario file's first problem: .source, .key, .problem
    │   └── OutputError              the report directory cannot be written: .path, .problem
    ├── OrderError                   an order the chain would reject, caught off-chain
    │   └── OrderRejected            .reason (a ``defi_int.reasons.Reason``), .detail, .digest
    ├── RunFailed                    a run that completed but went wrong as a whole (nothing filled ...)
    ├── ToxicityStateError           a saved toxicity model that cannot be restored here: .problem
    │                                (defined in ``defi_int.keeper.toxicity.models``)
    └── ChainError                   anything that went wrong talking to a chain
        ├── NodeUnavailable          the JSON-RPC node did not answer (.url)
        ├── TransactionFailed        mined with status 0, or not mined; .tx_hash
        │   └── ContractRevert       decoded custom error: .error_name, .args, .contract
        └── ArtifactError            compiled contracts missing or not matching their sources
    (defined in ``defi_int.bot.errors``, the keeper service's branch:)
    └── BotError                     the keeper service refused or failed
        ├── ApiRejection             an API request refused: .code (machine-readable), .status, .message
        └── JournalError             the SQLite journal cannot do what was asked
            ├── JournalVersionError  the file was written by a newer schema
            └── OrderInFlight        an order in a settle transaction not yet final cannot change

Beside the tree, ``ScenarioWarning`` (a ``UserWarning``): a scenario that runs but is probably not
what was meant; the CLI prints it as one line.

Context is kept as attributes so callers can act on it, not just print it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from defi_int.reasons import Reason


class DefiIntError(Exception):
    """Root of every error defi-int raises on purpose."""


class ConfigError(DefiIntError):
    """Parameters or an input file are invalid; the message says which and where."""


class ParamError(ConfigError):
    """A value of a declared parameter class (``defi_int.params``) is out of range or breaks a rule.

    ``owner`` is the class (``SystemParams``), ``path`` the field at fault (``maintenance_margin_bps``,
    ``markets[1].amm_base``), ``related`` the other fields of the rule, ``problem`` one sentence.
    """

    def __init__(self, owner: str, path: str, problem: str, related: tuple[str, ...] = ()) -> None:
        self.owner = owner
        self.path = path
        self.problem = problem
        self.related = related
        super().__init__(f"{owner}.{path}: {problem}")


class ScenarioError(ConfigError):
    """A scenario (its TOML file, a replay CSV, or a ``--set`` override) is invalid.

    ``source`` is the file path, ``"--set"`` or ``"--seed"``; ``key`` the dotted key path with list indexes
    (``markets[0].volatility``) or None when the problem is the whole file, ``problem`` one
    sentence saying what is wrong and what was expected.
    """

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}" if key is not None else f"{source}: {problem}")


class ScenarioWarning(UserWarning):
    """A scenario that runs but is probably not what was meant (``Scenario.warnings``); not an error."""


class OutputError(ConfigError):
    """The report directory ``path`` cannot be written; ``problem`` says why in one sentence."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"--out {path}: {problem}")


class RunFailed(DefiIntError):
    """A run went through every step but failed as a whole, e.g. the chain rejected every order.

    ``reasons`` counts the rejections by reason code (``insufficient_margin``, ``expired`` ...).
    """

    def __init__(self, message: str, reasons: Mapping[str, int] | None = None) -> None:
        self.reasons = dict(reasons or {})
        super().__init__(message)


class OrderError(DefiIntError):
    """An order is malformed or would be rejected by the chain."""


class OrderRejected(OrderError):
    """Off-chain validation refused an order.

    ``reason`` is the ``Reason`` (a ``StrEnum``: it equals its code, ``"expired"``), ``detail`` a
    sentence for people, ``digest`` the order's EIP-712 digest when it could be computed.
    """

    def __init__(self, reason: Reason, detail: str, digest: bytes | None = None) -> None:
        self.reason = reason
        self.detail = detail
        self.digest = digest
        super().__init__(f"order rejected ({reason}): {detail}")


class ChainError(DefiIntError):
    """Something went wrong talking to a chain."""


class NodeUnavailable(ChainError):
    """The JSON-RPC node at ``url`` did not answer."""

    def __init__(self, url: str, detail: str) -> None:
        self.url = url
        self.detail = detail
        super().__init__(f"node at {url} is not answering: {detail}")


class ArtifactError(ChainError):
    """Compiled contract artifacts are missing or unreadable."""


class TransactionFailed(ChainError):
    """A transaction failed without a decodable custom error."""

    def __init__(self, message: str, tx_hash: str | None = None) -> None:
        self.tx_hash = tx_hash
        super().__init__(message)


class ContractRevert(TransactionFailed):
    """A contract reverted with a custom error, decoded by name and arguments.

    ``error_name`` is the Solidity error (``"Overfill"``), ``args`` its named arguments in
    declaration order, ``contract`` the contract whose ABI declares it.
    """

    def __init__(
        self,
        error_name: str,
        args: Mapping[str, Any],
        contract: str,
        tx_hash: str | None = None,
    ) -> None:
        self.error_name = error_name
        self.args_by_name = dict(args)
        self.contract = contract
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.args_by_name.items())
        super().__init__(f"{contract} reverted with {error_name}({shown})", tx_hash)

    @property
    def error_args(self) -> tuple[Any, ...]:
        return tuple(self.args_by_name.values())


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)
