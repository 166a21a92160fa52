"""reference/cli.md: every command of ``defi-int`` and every option, from the CLI's own parser.

Walks ``defi_int.cli._parser()`` (the research commands add theirs through
``research.commands.add_commands``): each command's help, its usage line and a table of its
arguments with their defaults. The page's prose is the CLI module's docstring (exit codes included).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from defi_int.reference.markdown import banner, code, prose, table


def _subparsers(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser, str]]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                out.append((name, sub, helps.get(name, "")))
    return out


def _default(action: argparse.Action) -> str:
    if action.required or action.default in (None, False, [], argparse.SUPPRESS):
        return ""
    return str(action.default)


def _arguments(parser: argparse.ArgumentParser) -> list[str]:
    rows: list[tuple[Any, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        names = ", ".join(action.option_strings) or action.dest
        if action.option_strings and action.nargs != 0:
            names += f" {action.metavar or action.dest.upper()}"
        choices = " | ".join(str(c) for c in action.choices) if action.choices else ""
        rows.append((code(names), "yes" if action.required else "", code(_default(action)), choices, action.help or ""))
    if not rows:
        return []
    return [*table(("argument", "required", "default", "choices", "what"), rows), ""]


def _command(path: str, parser: argparse.ArgumentParser, help_text: str, level: int) -> list[str]:
    lines = [f"{'#' * level} `{path}`", ""]
    if help_text:
        lines += [help_text[0].upper() + help_text[1:] + ".", ""]
    usage = parser.format_usage().removeprefix("usage: ").strip().splitlines()
    lines += ["```text", usage[0], *("    " + line.strip() for line in usage[1:]), "```", ""]
    lines += _arguments(parser)
    for name, sub, text in _subparsers(parser):
        lines += _command(f"{path} {name}", sub, text, min(level + 1, 4))
    return lines


def page() -> str:
    import defi_int.cli

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # argparse wraps usage lines to the terminal: fix the width
    try:
        parser = defi_int.cli._parser()
        lines = banner("Command line", "the parser of `defi_int/cli.py`", prose(defi_int.cli.__doc__))
        for name, sub, text in _subparsers(parser):
            sub.prog = f"defi-int {name}"
            lines += _command(f"defi-int {name}", sub, text, 2)
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    return "\n".join(lines).rstrip() + "\n"
