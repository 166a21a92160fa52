"""reference/errors.md: the exception tree, the reason vocabulary and every contract's custom errors.

The tree is ``defi_int.exceptions``'s (and its branches in ``defi_int.bot.errors`` and the toxicity
models), walked from ``DefiIntError``; the reasons are ``defi_int.reasons.reason_table()``; the
custom errors are the compiled ABIs' with their ``@notice``, each mapped to its reason by
``Reason.of_error``.
"""

from __future__ import annotations

from typing import Any

from defi_int.reference.markdown import banner, one_line, prose, table


def _subclasses(root: type) -> list[tuple[int, type]]:
    out: list[tuple[int, type]] = []

    def walk(cls: type, depth: int) -> None:
        out.append((depth, cls))
        subs: list[type] = sorted(cls.__subclasses__(), key=lambda c: c.__name__)
        for sub in subs:
            if sub.__module__.startswith("defi_int"):
                walk(sub, depth + 1)

    walk(root, 0)
    return out


def page() -> str:
    import defi_int.bot.errors
    import defi_int.bot.liquidating
    import defi_int.chain.rpc
    import defi_int.keeper.toxicity.models  # noqa: F401 - their branches of the tree (a test finds any left out)
    from defi_int import exceptions, reasons
    from defi_int.chain.artifacts import SHIPPED, load
    from defi_int.reasons import Reason, reason_table
    from defi_int.reference.contracts import natspec

    lines = banner(
        "Errors and reason codes",
        "`defi_int/exceptions.py`, `defi_int/reasons.py` and the contracts' ABIs",
        prose(exceptions.__doc__),
    )
    lines += ["## Exceptions", "", "Every error the package raises on purpose, from the root down.", ""]
    rows: list[tuple[Any, ...]] = [
        (
            "\u2003" * depth + f"`{cls.__name__}`",
            f"`{cls.__module__}`",
            one_line(cls.__doc__),
        )
        for depth, cls in _subclasses(exceptions.DefiIntError)
    ]
    rows.append(("`ScenarioWarning`", "`defi_int.exceptions`", one_line(exceptions.ScenarioWarning.__doc__)))
    lines += [*table(("exception", "module", "what it means"), rows), ""]
    lines += ["## Reason codes", "", prose(reasons.__doc__), ""]
    lines += [
        "The **status** is the HTTP status the order API answers with (empty: the reason only explains a "
        "decision); **after** says whether the order stays in the book and may fill later (`rests`) or is done "
        "(`final`).",
        "",
    ]
    reasons_rows = [(f"`{c}`", status, errs, after, msg) for c, status, errs, after, msg in reason_table()]
    lines += [*table(("code", "status", "custom errors", "after", "message"), reasons_rows), ""]
    lines += [
        "## Custom errors",
        "",
        "Every custom error of the shipped contracts, with the reason code it maps to. The Python side raises "
        "a revert as `ContractRevert` (`.error_name`, `.args_by_name`) on every backend.",
        "",
    ]
    seen: dict[str, list[str]] = {}
    notices: dict[str, str] = {}
    for name in SHIPPED:
        artifact = load(name)
        for entry in artifact.abi:
            if entry["type"] != "error":
                continue
            seen.setdefault(entry["name"], []).append(name)
            key = f"{entry['name']}({','.join(p['type'] for p in entry['inputs'])})"
            notice = artifact.userdoc.get("errors", {}).get(key, [{}])[0].get("notice", "")
            notices.setdefault(entry["name"], natspec(notice))
    error_rows = [
        (
            f"`{error}`",
            ", ".join(f"[{c}](contracts/{c}.md#errors)" for c in contracts),
            f"`{Reason.of_error(error).code}`",
            notices[error],
        )
        for error, contracts in sorted(seen.items())
    ]
    lines += [*table(("error", "raised by", "reason", "thrown when"), error_rows), ""]
    return "\n".join(lines).rstrip() + "\n"
