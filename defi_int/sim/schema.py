"""Typed reading of a raw TOML dict against the parameters' declarations, one clear error per problem.

``scenario.py`` builds every spec through a :class:`Node`: a table of the raw dict plus its dotted
key path (``markets[0]``). :func:`read_declared` reads every declared field of a spec class
(``defi_int.params``) from its table: the field's :class:`~defi_int.params.Param` says the key, the
type and the range, and the error message comes from it (``must be within 0..36, got 40``). The
first problem raises :class:`ScenarioError` naming the key. :class:`Context` decides the error's
source: the scenario file, or ``--set`` when the key (or a key the rule depends on) came from an
override. :func:`apply_overrides` writes ``key=value`` strings into the raw dict before any of this.

Rules of the reader: a bool is never an int or a float; an int is accepted where a float is
expected; NaN and infinities are refused; amounts are read exactly with ``to_fixed``; a file is
resolved against the scenario's directory and must exist.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from defi_int.exceptions import ScenarioError
from defi_int.params import REQUIRED, Param, declared, show
from defi_int.types import to_fixed

SET: Final = "--set"


_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_KEY_PATH = re.compile(rf"^{_NAME}(\[\d+\])*(\.{_NAME}(\[\d+\])*)*$")
_TOKEN = re.compile(rf"({_NAME})|\[(\d+)\]")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def child_path(parent: str, key: str | int) -> str:
    """``child_path("markets", 0) == "markets[0]"``; ``child_path("keeper", "fee_bps") == "keeper.fee_bps"``.

    A key that is not a bare TOML key (``"a b"``) is shown quoted, so a path is always one line.
    """
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if not _BARE_KEY.fullmatch(key):
        key = json.dumps(key)
    return f"{parent}.{key}" if parent else key


def shown(text: str) -> str:
    """``text`` as is when printable, else its repr: keeps every message on one line."""
    return text if text.isprintable() else repr(text)


def describe(value: Any) -> str:
    """A value as a person reads it in an error: ``string '12'``, ``boolean true``, ``integer 5``."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {show(value)}"
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"string {text!r}"
    if isinstance(value, list):
        text = repr(value)
        return f"array {text if len(text) <= 40 else text[:37] + '...'}"
    if isinstance(value, dict):
        return "table"
    return f"{type(value).__name__} {value}"


@dataclass
class Context:
    """Where the raw dict came from (``source``, and ``base_dir`` for the files it names), and which
    key paths overrides wrote (path → ``--set``/``--seed``)."""

    source: str
    base_dir: Path = Path()
    overridden: dict[str, str] = field(default_factory=dict)

    def fail(self, key: str | None, problem: str, related: Iterable[str] = ()) -> ScenarioError:
        """The error to raise for ``key``; its source is the override that set ``key`` or ``related``."""
        for candidate in (key, *related):
            if candidate is None:
                continue
            for written, label in self.overridden.items():
                if candidate == written or candidate.startswith((written + ".", written + "[")):
                    return ScenarioError(label, key, problem)
        return ScenarioError(self.source, key, problem)


class Node:
    """One TOML table with its key path; ``read`` checks and converts one key by its declaration."""

    def __init__(self, ctx: Context, data: Mapping[str, Any], path: str = "") -> None:
        self.ctx = ctx
        self.data = data
        self.path = path

    def key(self, name: str) -> str:
        return child_path(self.path, name)

    def has(self, name: str) -> bool:
        return name in self.data

    def fail(self, name: str, problem: str, related: Iterable[str] = ()) -> ScenarioError:
        return self.ctx.fail(self.key(name), problem, related)

    def check_keys(self, known: Collection[str]) -> None:
        """Refuses the first key not in ``known``, suggesting the closest known one."""
        for name in self.data:
            if name in known:
                continue
            close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(sorted(known))
            raise self.fail(name, f"unknown key {name!r} ({hint})")

    def read(self, name: str, param: Param, default: Any = REQUIRED) -> Any:
        """The value of key ``name`` checked and converted as ``param`` declares; ``default`` when absent
        (``REQUIRED``: the key must be there)."""
        if name not in self.data:
            if default is REQUIRED:
                raise self.fail(name, "required key is missing")
            return default
        value = self.data[name]
        path = self.key(name)
        kind = param.kind
        if kind == "pair":
            return self._pair(name, param, value)
        if kind == "ints":
            items = self._array(name, value)
            return tuple(
                self._value(child_path(path, i), Param("int", param.lo, param.hi, unit=param.unit), v)
                for i, v in enumerate(items)
            )
        return self._value(path, param, value)

    def table(self, name: str) -> Node:
        """The sub-table ``name``; an empty one when absent (all its keys take their defaults)."""
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, f"expected a table ([{self.key(name)}]), got {describe(value)}")
        return Node(self.ctx, value, self.key(name))

    def tables(self, name: str) -> list[Node]:
        """The array of tables ``[[name]]``, at least one entry."""
        if name not in self.data:
            raise self.fail(name, "required key is missing")
        value = self.data[name]
        if not isinstance(value, list):
            raise self.fail(name, f"expected an array of tables ([[{name}]]), got {describe(value)}")
        if not value:
            raise self.fail(name, f"at least one [[{name}]] entry is required")
        nodes = []
        for i, item in enumerate(value):
            path = child_path(self.key(name), i)
            if not isinstance(item, dict):
                raise self.ctx.fail(path, f"expected a table, got {describe(item)}")
            nodes.append(Node(self.ctx, item, path))
        return nodes

    def _array(self, name: str, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(name, f"expected an array, got {describe(value)}")
        return value

    def _pair(self, name: str, param: Param, value: Any) -> tuple[Any, Any]:
        items = self._array(name, value)
        if len(items) != 2:
            raise self.fail(name, f"expected an array of two numbers [low, high], got {describe(items)}")
        item = Param(param.item, param.lo, param.hi, unit=param.unit)
        low, high = (self._value(child_path(self.key(name), i), item, v) for i, v in enumerate(items))
        if low > high:
            raise self.fail(name, f"low must be <= high, got [{show(low)}, {show(high)}]")
        return low, high

    def _value(self, path: str, param: Param, value: Any) -> Any:
        """One scalar checked and converted; errors name ``path``."""
        fail = self.ctx.fail
        kind = param.kind
        if kind in ("text", "choice", "file"):
            if not isinstance(value, str):
                raise fail(path, f"expected a string, got {describe(value)}")
            if kind == "choice" and value not in param.options:
                allowed = ", ".join(f"'{o}'" for o in param.options)
                raise fail(path, f"must be one of {allowed}, got {shown(repr(value))}")
            return self._file(path, value) if kind == "file" else value
        if kind == "bool":
            if not isinstance(value, bool):
                raise fail(path, f"expected a boolean (true or false), got {describe(value)}")
            return value
        number: int | float
        if kind == "amount":
            number = self._amount(path, param, value)
        elif (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (kind == "int" and isinstance(value, float))
        ):
            raise fail(path, f"expected {'an integer' if kind == 'int' else 'a number'}, got {describe(value)}")
        elif kind == "float":
            try:
                number = float(value)
            except OverflowError:  # an int beyond any float
                raise fail(path, f"{param.range_text()}, got {describe(value)}") from None
            if not math.isfinite(number):
                raise fail(path, f"expected a finite number, got {describe(value)}")
        else:
            number = value
        problem = param.range_problem(number)
        if problem:
            raise fail(path, problem)
        return number

    def _amount(self, path: str, param: Param, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.ctx.fail(path, f'expected a decimal number (e.g. 1.5 or "1.5"), got {describe(value)}')
        try:
            return to_fixed(value)
        except ValueError as err:
            reason = str(err)
            if "decimals" in reason:
                raise self.ctx.fail(path, f"{describe(value)} has more than 18 decimals") from None
            if "too large" in reason:
                raise self.ctx.fail(path, f"{param.range_text()}, got {describe(value)}") from None
            raise self.ctx.fail(path, f"expected a decimal number, got {describe(value)}") from None

    def _file(self, path: str, written: str) -> Path:
        try:
            file = (self.ctx.base_dir / written).resolve()
            found, exists = file.is_file(), file.exists()
        except (OSError, ValueError):
            found, exists, file = False, False, self.ctx.base_dir / written
        if not found:
            problem = "not a file" if exists else "file not found"
            raise self.ctx.fail(path, f"{problem}: {shown(repr(written))} (looked for {shown(str(file))})")
        return file


def read_declared(node: Node, cls: type, *, defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every declared field of ``cls`` read from ``node``: field name -> value, each checked.

    A key that is absent takes ``defaults[field]`` if given, else the field's declared default;
    a field declared without a default must be present.
    """
    values: dict[str, Any] = {}
    for f, param in declared(cls):
        default = defaults[f.name] if defaults and f.name in defaults else f.default  # REQUIRED: none declared
        values[f.name] = node.read(param.key or f.name, param, default)
    return values


def declared_keys(*classes: type) -> frozenset[str]:
    """The TOML keys the declared fields of ``classes`` read."""
    return frozenset(param.key or f.name for cls in classes for f, param in declared(cls))


def parse_key_path(text: str) -> list[str | int]:
    """``"markets[0].volatility"`` → ``["markets", 0, "volatility"]``; raises ValueError if malformed."""
    if not _KEY_PATH.fullmatch(text):
        raise ValueError(text)
    return [name if name else int(index) for name, index in _TOKEN.findall(text)]


def render_key_path(tokens: Sequence[str | int]) -> str:
    path = ""
    for token in tokens:
        path = child_path(path, token)
    return path


def parse_value(text: str) -> Any:
    """An override's value read as TOML (``8``, ``true``, ``[1, 5]``, ``"x"``), else the plain string.

    Raises ValueError for an integer of more than 4300 digits (Python will not read it).
    """
    try:
        document = tomllib.loads("v = " + text)
    except tomllib.TOMLDecodeError:
        return text.strip()
    except ValueError:
        raise ValueError("an integer of more than 4300 digits") from None
    return document["v"] if document.keys() == {"v"} else text.strip()


def apply_overrides(raw: dict[str, Any], overrides: Sequence[str], ctx: Context) -> None:
    """Writes each ``key=value`` into ``raw`` and records the key in ``ctx.overridden``.

    Missing tables on the way are created; list indexes must already exist.
    """
    for override in overrides:
        key_text, sep, value_text = override.partition("=")
        if not sep:
            raise ScenarioError(SET, None, f"expected key=value, got {override!r}")
        try:
            tokens = parse_key_path(key_text.strip())
        except ValueError:
            raise ScenarioError(
                SET, shown(key_text.strip()) or None, "not a key path (expected e.g. steps or markets[0].volatility)"
            ) from None
        node: Any = raw
        for depth, token in enumerate(tokens):
            here = render_key_path(tokens[: depth + 1])
            last = depth == len(tokens) - 1
            if isinstance(token, int):
                if not isinstance(node, list):
                    raise ScenarioError(SET, here, f"{render_key_path(tokens[:depth])} is not an array")
                if token >= len(node):
                    raise ScenarioError(SET, here, f"no such entry: the scenario has {len(node)}")
            elif not isinstance(node, dict):
                raise ScenarioError(SET, here, f"{render_key_path(tokens[:depth])} is not a table")
            elif not last and token not in node:
                if isinstance(tokens[depth + 1], int):
                    raise ScenarioError(SET, here, "no such array in the scenario")
                node[token] = {}
            if last:
                try:
                    node[token] = parse_value(value_text)
                except ValueError as err:
                    raise ScenarioError(SET, here, str(err)) from None
            else:
                node = node[token]
        ctx.overridden[render_key_path(tokens)] = SET
