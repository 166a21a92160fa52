"""reference/parameters.md: every key of a scenario and of the keeper file, from their declarations.

The rows are ``sim.scenario.parameter_rows`` (what ``defi-int params`` prints) over the scenario's
tables and the keeper file's (``bot.config.TABLES``); each table's prose is the docstrings of its
declared classes, and a key's note is the comment on its declaration line, if any.
"""

from __future__ import annotations

import ast
import inspect
import io
import textwrap
import tokenize

from defi_int.params import Declared
from defi_int.reference.markdown import banner, code, prose, table


def field_comments(cls: type) -> dict[str, str]:
    """The comment on each field's declaration in ``cls`` and its declared bases (name -> text)."""
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, Declared)) or klass is Declared:
            continue
        source = textwrap.dedent(inspect.getsource(klass))
        spans = {}
        for node in ast.parse(source).body[0].body:  # type: ignore[attr-defined]
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                spans[node.target.id] = (node.lineno, node.end_lineno or node.lineno)
        above: dict[str, list[str]] = {}
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type != tokenize.COMMENT:
                continue
            text, line = tok.string.lstrip("#").strip(), tok.start[0]
            inside = [name for name, (first, last) in spans.items() if first <= line <= last]
            if inside:
                found[inside[0]] = text
            elif tok.line.strip().startswith("#"):  # a comment block above a field: that field's note
                after = [name for name, (first, _) in spans.items() if first > line]
                if after:
                    above.setdefault(min(after, key=lambda n: spans[n][0]), []).append(text)
        for name, texts in above.items():
            found[name] = " ".join([*texts, found.get(name, "")]).strip()
    return found


def _docs(cls: type) -> list[str]:
    """The docstrings of ``cls`` and of the declared classes it is built from, most specific first."""
    out = []
    for klass in cls.__mro__:
        own = isinstance(klass, type) and issubclass(klass, Declared) and klass is not Declared
        if own and "__doc__" in vars(klass):
            text = prose(klass.__doc__)
            if text and text not in out:
                out.append(text)
    return out


def _section(title: str, prefix: str, cls: type) -> list[str]:
    from defi_int.params import declared
    from defi_int.sim.scenario import parameter_rows

    comments = field_comments(cls)
    names = {prefix + (param.key or f.name): f.name for f, param in declared(cls)}
    rows = [
        (code(key), code(default), range_, unit, code(onchain), comments.get(names[key], "").replace("``", "`"))
        for key, default, range_, unit, onchain in parameter_rows([(prefix, cls)])
    ]
    lines = [f"### {title}", ""]
    for text in _docs(cls):
        lines += [text, ""]
    return [*lines, *table(("key", "default", "range", "unit", "on chain", "note"), rows), ""]


def page() -> str:
    from defi_int.bot.config import TABLES as KEEPER_FILE
    from defi_int.sim.scenario import TABLES as SCENARIO

    lines = banner(
        "Parameters",
        "the declarations in `defi_int/params.py`, `defi_int/sim/scenario.py`, `defi_int/market/paths.py` and "
        "`defi_int/bot/config.py` (the rows are what `defi-int params` prints)",
        "Every key is declared once, with its default, its range, its unit and the Solidity type it goes into; "
        "the scenario loader, `--set`, the keeper file and building the classes from Python all check a value "
        "against this declaration and name the key when it is wrong. A default of `-` means unset (the note says "
        "what stands in); `required` keys have none.",
    )
    lines += ["## Scenario files", ""]
    titles = {"": "Top level", "markets[].": "`[[markets]]`", "traders[].": "`[[traders]]`"}
    for prefix, cls in SCENARIO:
        lines += _section(titles.get(prefix, f"`[{prefix.rstrip('.')}]`"), prefix, cls)
    lines += [
        "## The keeper file",
        "",
        "`defi-int keeper --config FILE` reads four tables, each optional. `[keeper]` takes the keys of a "
        "scenario's [`[keeper]`](#keeper) above; the other three are the service's own.",
        "",
    ]
    for name, cls in KEEPER_FILE.items():
        if name != "keeper":
            lines += _section(f"`[{name}]`", f"{name}.", cls)
    return "\n".join(lines).rstrip() + "\n"
