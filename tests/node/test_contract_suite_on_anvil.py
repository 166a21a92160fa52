"""The contract suite, run a second time against a real anvil instead of eth-tester.

The suite runs in a child pytest (``--defi-anvil`` makes the shipped plugin start its own anvil),
in its own process group so that a hung run is killed together with the anvil it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from defi_int.chain.anvil import find_anvil
from defi_int.exceptions import NodeUnavailable

pytestmark = pytest.mark.node

REPO_ROOT = Path(__file__).resolve().parents[2]
SUITE = "tests/contracts"
TIMEOUT_SECONDS = 900
EXIT_NO_TESTS_COLLECTED = int(pytest.ExitCode.NO_TESTS_COLLECTED)
SHOWN_CHARS = 20_000


def _child_env() -> dict[str, str]:
    """This environment without the outer pytest's (xdist worker ids, addopts, current test)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


def test_the_contract_suite_passes_on_anvil() -> None:
    try:
        find_anvil()
    except NodeUnavailable as exc:
        missing = exc.detail
    else:
        missing = None
    if missing is not None:
        pytest.fail(f"the contract suite on anvil needs anvil: {missing}", pytrace=False)

    command = [sys.executable, "-m", "pytest", SUITE, "-q", "-p", "no:randomly", "--defi-anvil", "-p", "no:xdist"]
    child = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=_child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = child.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        output, _ = child.communicate()
        print(output)
        pytest.fail(f"{' '.join(command)} did not finish within {TIMEOUT_SECONDS}s:\n{output[-SHOWN_CHARS:]}")

    if child.returncode == EXIT_NO_TESTS_COLLECTED:
        pytest.skip(f"{SUITE} holds no tests yet")
    print(output)
    assert child.returncode == 0, (
        f"the contract suite failed on anvil (exit code {child.returncode}) with `{' '.join(command)}`:\n"
        f"{output[-SHOWN_CHARS:]}"
    )
