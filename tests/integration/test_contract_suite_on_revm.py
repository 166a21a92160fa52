"""The whole contract suite passes on revm too, chosen with the plugin's ``--defi-backend revm``.

Every contract test (deposits, settles, every custom error, events, snapshots between tests) runs
on the fast backend in a child pytest: it behaves as the reference does, and the plugin option
that picks it works.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 600
SHOWN_CHARS = 20_000


def test_the_contract_suite_passes_on_revm_through_the_plugin_option() -> None:
    command = [sys.executable, "-m", "pytest", "tests/contracts", "-q", "-p", "no:xdist", "--defi-backend", "revm"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}

    child = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )

    output = child.stdout + child.stderr
    assert child.returncode == 0, f"`{' '.join(command)}` failed ({child.returncode}):\n{output[-SHOWN_CHARS:]}"
    assert " passed" in output.splitlines()[-1]
