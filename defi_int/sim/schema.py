"""Typed reading of a raw TOML dict, one key at a time, with one clear error per problem.

``scenario.py`` builds every spec through a :class:`Node`: a table of the raw dict plus its dotted
key path (``markets[0]``). Each accessor (``integer``, ``number``, ``fixed`` ...) checks the type
and the range of one key and returns the value, or raises :class:`ScenarioError` naming the key.
:class:`Context` decides the error's source: the scenario file, or ``--set`` when the key (or a
key the rule depends on) came from an override. :func:`apply_overrides` writes ``key=value``
strings into the raw dict before any of this runs.

Rules of the reader: a bool is never an int or a float; an int is accepted where a float is
expected; NaN and infinities are refused; fixed-point amounts are read exactly with ``to_fixed``.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Context as DecimalContext
from decimal import Decimal
from typing import Any, Final

from defi_int.exceptions import ScenarioError
from defi_int.types import to_fixed

SET: Final = "--set"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""Default meaning "the key is required"."""

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


def fixed_to_str(value: int) -> str:
    """Renders a 1e18 fixed-point int as the shortest exact decimal string (``1.5``, ``2000``)."""
    exact = Decimal(value).scaleb(-18, context=DecimalContext(prec=200))
    return format(exact.normalize(context=DecimalContext(prec=200)), "f")


def describe(value: Any) -> str:
    """A value as a person reads it in an error: ``string '12'``, ``boolean true``, ``integer 5``."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, list):
        shown = repr(value)
        return f"array {shown if len(shown) <= 40 else shown[:37] + '...'}"
    if isinstance(value, dict):
        return "table"
    return f"{type(value).__name__} {value}"


def _show(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def range_problem(
    value: float | int,
    lo: float | int | None,
    hi: float | int | None,
    *,
    lo_open: bool = False,
    show: Any = _show,
) -> str | None:
    """The problem with ``value`` against ``[lo, hi]`` (``(lo, hi]`` if ``lo_open``), or None."""
    below = lo is not None and (value <= lo if lo_open else value < lo)
    above = hi is not None and value > hi
    if not (below or above):
        return None
    got = show(value)
    if lo is not None and hi is not None:
        if lo_open:
            return f"must be > {show(lo)} and <= {show(hi)}, got {got}"
        return f"must be within {show(lo)}..{show(hi)}, got {got}"
    if lo is not None:
        return f"must be {'>' if lo_open else '>='} {show(lo)}, got {got}"
    return f"must be <= {show(hi)}, got {got}"


@dataclass
class Context:
    """Where the raw dict came from, and which key paths overrides wrote (path → ``--set``/``--seed``)."""

    source: str
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
    """One TOML table with its key path; the accessors read, check and convert its keys."""

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

    def _raw(self, name: str, default: Any) -> Any:
        if name in self.data:
            return self.data[name]
        if default is MISSING:
            raise self.fail(name, "required key is missing")
        return default

    def integer(
        self, name: str, default: int | _Missing = MISSING, lo: int | None = None, hi: int | None = None
    ) -> int:
        value = self._raw(name, default)
        if name in self.data:
            value = self._int_value(self.key(name), value, lo, hi)
        return int(value)

    def optional_integer(self, name: str, lo: int | None = None, hi: int | None = None) -> int | None:
        return self.integer(name, lo=lo, hi=hi) if name in self.data else None

    def number(
        self,
        name: str,
        default: float | _Missing = MISSING,
        lo: float | None = None,
        hi: float | None = None,
        *,
        lo_open: bool = False,
    ) -> float:
        value = self._raw(name, default)
        if name in self.data:
            value = self._float_value(self.key(name), value, lo, hi, lo_open)
        return float(value)

    def optional_number(self, name: str, lo: float | None = None, hi: float | None = None) -> float | None:
        return self.number(name, lo=lo, hi=hi) if name in self.data else None

    def text(self, name: str, default: str | _Missing = MISSING) -> str:
        value = self._raw(name, default)
        if not isinstance(value, str):
            raise self.fail(name, f"expected a string, got {describe(value)}")
        return value

    def choice(self, name: str, options: Sequence[str], default: str | _Missing = MISSING) -> str:
        value = self.text(name, default)
        if value not in options:
            allowed = ", ".join(f"'{o}'" for o in options)
            raise self.fail(name, f"must be one of {allowed}, got {value!r}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self._raw(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"expected a boolean (true or false), got {describe(value)}")
        return value

    def fixed(
        self, name: str, default: int | _Missing = MISSING, lo: int | None = None, *, lo_open: bool = False
    ) -> int:
        """A decimal amount (``1.5``, ``2000`` or ``"2000.5"``) as a 1e18 int, exactly; ``default`` is 1e18 too."""
        if name not in self.data:
            return int(self._raw(name, default))
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(name, f'expected a decimal number (e.g. 1.5 or "1.5"), got {describe(value)}')
        try:
            amount = to_fixed(value)
        except ValueError as err:
            if "decimals" in str(err):
                raise self.fail(name, f"{describe(value)} has more than 18 decimals") from None
            raise self.fail(name, f"expected a decimal number, got {describe(value)}") from None
        problem = range_problem(amount, lo, None, lo_open=lo_open, show=fixed_to_str)
        if problem:
            raise self.fail(name, problem)
        return amount

    def optional_fixed(self, name: str, lo: int | None = None, *, lo_open: bool = False) -> int | None:
        return self.fixed(name, lo=lo, lo_open=lo_open) if name in self.data else None

    def _list(self, name: str, default: Any) -> list[Any] | None:
        value = self._raw(name, default)
        if name not in self.data:
            return None
        if not isinstance(value, list):
            raise self.fail(name, f"expected an array, got {describe(value)}")
        return value

    def integers(self, name: str, lo: int | None = None, hi: int | None = None) -> tuple[int, ...]:
        """A required-when-read array of ints (callers check ``has`` for defaults)."""
        items = self._list(name, MISSING) or []
        return tuple(self._int_value(child_path(self.key(name), i), v, lo, hi) for i, v in enumerate(items))

    def pair(self, name: str, kind: type[int] | type[float], lo: float, hi: float) -> tuple[Any, Any]:
        """An array ``[low, high]`` of two numbers, each within ``lo..hi``, with ``low <= high``."""
        items = self._list(name, MISSING) or []
        if len(items) != 2:
            raise self.fail(name, f"expected an array of two numbers [low, high], got {describe(items)}")
        paths = [child_path(self.key(name), i) for i in range(2)]
        values: list[Any]
        if kind is int:
            values = [self._int_value(p, v, int(lo), int(hi)) for p, v in zip(paths, items, strict=True)]
        else:
            values = [self._float_value(p, v, lo, hi) for p, v in zip(paths, items, strict=True)]
        low, high = values
        if low > high:
            raise self.fail(name, f"low must be <= high, got [{_show(low)}, {_show(high)}]")
        return low, high

    def table(self, name: str) -> Node:
        """The sub-table ``name``; an empty one when absent (all its keys take their defaults)."""
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, f"expected a table ([{self.key(name)}]), got {describe(value)}")
        return Node(self.ctx, value, self.key(name))

    def tables(self, name: str) -> list[Node]:
        """The array of tables ``[[name]]``, at least one entry."""
        value = self._raw(name, MISSING)
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

    def _int_value(self, path: str, value: Any, lo: int | None, hi: int | None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.ctx.fail(path, f"expected an integer, got {describe(value)}")
        problem = range_problem(value, lo, hi)
        if problem:
            raise self.ctx.fail(path, problem)
        return value

    def _float_value(self, path: str, value: Any, lo: float | None, hi: float | None, lo_open: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.ctx.fail(path, f"expected a number, got {describe(value)}")
        number = float(value)
        if not math.isfinite(number):
            raise self.ctx.fail(path, f"expected a finite number, got {describe(value)}")
        problem = range_problem(number, lo, hi, lo_open=lo_open)
        if problem:
            raise self.ctx.fail(path, problem)
        return number


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
    """An override's value read as TOML (``8``, ``true``, ``[1, 5]``, ``"x"``), else the plain string."""
    try:
        document = tomllib.loads("v = " + text)
    except tomllib.TOMLDecodeError:
        return text.strip()
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
                node[token] = parse_value(value_text)
            else:
                node = node[token]
        ctx.overridden[render_key_path(tokens)] = SET
