"""The operator's keys: from the environment or a key file, never from a command-line flag.

``load_account(role, key_file)`` gives the ``LocalAccount`` of ``role`` (``owner``, ``keeper``, or
``trader`` for ``defi-int order``): ``DEFI_INT_OWNER_KEY`` / ``DEFI_INT_KEEPER_KEY`` /
``DEFI_INT_TRADER_KEY`` when set, else the key file's ``owner_key`` / ``keeper_key`` / ``trader_key``
(a TOML file readable by its owner only, like an ssh key: ``chmod 600``). Every
problem is one ``ConfigError`` line naming the variable or the file, never the key.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from defi_int.exceptions import ConfigError

ROLES = ("owner", "keeper", "trader")


def env_name(role: str) -> str:
    return f"DEFI_INT_{role.upper()}_KEY"


def load_account(
    role: str, key_file: str | Path | None = None, *, environ: dict[str, str] | None = None
) -> LocalAccount:
    """The account of ``role`` (see the module docstring)."""
    env = os.environ if environ is None else environ
    name = env_name(role)
    text = env.get(name)
    where = name
    if not text and key_file is not None:
        text = _from_file(Path(key_file), role)
        where = f"{key_file}: {role}_key"
    if not text:
        hint = f" or {role}_key in the key file" if key_file is not None else " or give --key-file FILE"
        raise ConfigError(f"no {role} key: set {name}{hint}")
    try:
        account: LocalAccount = Account.from_key(text.strip())
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: not a private key (32 bytes as 64 hex digits): {type(exc).__name__}") from None
    return account


def _from_file(path: Path, role: str) -> str | None:
    try:
        mode = path.stat().st_mode
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--key-file {path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--key-file {path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--key-file {path}: invalid TOML: {exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"--key-file {path}: readable by others; keys must be private (chmod 600 {path})")
    unknown = sorted(set(raw) - {f"{r}_key" for r in ROLES})
    if unknown:
        known = ", ".join(f"{r}_key" for r in ROLES)
        raise ConfigError(f"--key-file {path}: unknown key {unknown[0]!r} (known: {known})")
    value = raw.get(f"{role}_key")
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"--key-file {path}: {role}_key must be a string")
    return value
