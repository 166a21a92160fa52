"""reference/fixtures.md: the pytest plugin's fixtures, options and order helper, from its code.

Reads ``defi_int.testing``: its docstring, every function it decorates with ``pytest.fixture``
(name, scope, docstring; the private ones left out), the options ``pytest_addoption`` registers,
and the public methods of ``OrderMaker`` with their signatures.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

from defi_int.reference.markdown import banner, code, one_line, prose, table


class _Options:
    """Stands in for pytest's parser: records what ``pytest_addoption`` registers."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def getgroup(self, name: str) -> _Options:
        return self

    def addoption(self, *names: str, **options: Any) -> None:
        default = options.get("default")
        shown = "" if default in (None, False) else str(default)
        self.rows.append((", ".join(names), shown, str(options.get("help", ""))))


def _fixtures(source: str) -> list[tuple[str, str, str]]:
    out = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        for deco in node.decorator_list:
            call = deco if isinstance(deco, ast.Call) else None
            target = call.func if call else deco
            if ast.unparse(target) != "pytest.fixture":
                continue
            scope = "function"
            for kw in call.keywords if call else []:
                if kw.arg == "scope" and isinstance(kw.value, ast.Constant):
                    scope = str(kw.value.value)
            out.append((node.name, scope, one_line(ast.get_docstring(node))))
    return out


def page() -> str:
    import defi_int.testing as plugin

    lines = banner("Pytest fixtures", "`defi_int/testing.py`, the pytest plugin", prose(plugin.__doc__))
    lines += ["## Fixtures", ""]
    rows = [(code(name), scope, doc) for name, scope, doc in _fixtures(inspect.getsource(plugin))]
    lines += [*table(("fixture", "scope", "what it gives"), rows), ""]
    options = _Options()
    plugin.pytest_addoption(options)  # type: ignore[arg-type]
    lines += ["## Options", ""]
    lines += [*table(("option", "default", "what"), ((code(n), code(d), h) for n, d, h in options.rows)), ""]
    lines += ["## `OrderMaker`", "", one_line(plugin.OrderMaker.__doc__), ""]
    for name, member in inspect.getmembers(plugin.OrderMaker, inspect.isfunction):
        if name.startswith("_"):
            continue
        signature = str(inspect.signature(member)).replace("'", "")
        lines += [f"### `{name}`", "", "```python", f"def {name}{signature}", "```", ""]
        if member.__doc__:
            lines += [prose(member.__doc__), ""]
    return "\n".join(lines).rstrip() + "\n"
