"""Starting and stopping a local anvil node (from the npm package ``@foundry-rs/anvil``).

``Anvil()`` is a context manager: it finds the binary (``$DEFI_INT_ANVIL``, then ``anvil`` on
PATH, then ``contracts/node_modules`` of a source checkout), starts it on 127.0.0.1 on a free
port, waits until it answers JSON-RPC and kills it on exit. Block times need no flag: ``Chain``
sets every block's timestamp itself, on anvil as on every backend.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import requests

from defi_int.chain.node import LOCAL_CHAIN_ID
from defi_int.exceptions import NodeUnavailable

_NPM_BINARY = Path("contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")


def find_anvil() -> str:
    """Path of an anvil binary; raises ``NodeUnavailable`` naming where it looked."""
    candidates = [os.environ.get("DEFI_INT_ANVIL"), shutil.which("anvil")]
    here = Path(__file__).resolve()
    candidates += [str(parent / _NPM_BINARY) for parent in [Path.cwd(), *here.parents]]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise NodeUnavailable(
        "anvil", "no anvil binary: set DEFI_INT_ANVIL, put anvil on PATH, or run `npm ci` in contracts/"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Anvil:
    """A local anvil on 127.0.0.1; ``url`` is set once it answers.

    The project's anvil runs Prague (like py-evm) with a 60M block gas limit and the in-process
    backends' chain id (so orders sign, and settles cost, the same); ``stock=True`` starts
    it as a new user would, with no flag but the host and port (its own defaults for everything).
    It mines a block per transaction unless ``block_time`` (seconds) asks for a block that often.
    """

    def __init__(
        self,
        *,
        chain_id: int = LOCAL_CHAIN_ID,
        gas_limit: int = 60_000_000,
        startup_timeout: float = 30.0,
        stock: bool = False,
        block_time: float | None = None,
    ):
        self.chain_id = chain_id
        self.gas_limit = gas_limit
        self.startup_timeout = startup_timeout
        self.stock = stock
        self.block_time = block_time
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Anvil:
        command = [find_anvil(), "--host", "127.0.0.1", "--port", str(self.port)]
        if not self.stock:
            command += ["--chain-id", str(self.chain_id), "--gas-limit", str(self.gas_limit)]
            command += ["--hardfork", "prague", "--balance", "100000000", "--silent"]
        if self.block_time is not None:
            command += ["--block-time", f"{self.block_time:g}"]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                raise NodeUnavailable(self.url, f"anvil exited with {self._process.returncode}: {err.strip()}")
            try:
                requests.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=1)
            except requests.exceptions.ConnectionError:
                time.sleep(0.05)
                continue
            return self
        self.stop()
        raise NodeUnavailable(self.url, f"anvil did not answer within {self.startup_timeout}s")

    @property
    def pid(self) -> int:
        """The node's process id (it must be running)."""
        assert self._process is not None, "anvil is not running"
        return self._process.pid

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
