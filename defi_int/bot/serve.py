"""Runs the API under uvicorn in a background thread, on 127.0.0.1 by default.

``ApiServer(app).start()`` returns once the socket listens (``url`` then says where, also for
``port=0``: a free port); ``stop()`` asks uvicorn to finish in-flight requests and joins the
thread. The ``defi-int keeper`` command runs the loop in the main thread beside it.
"""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI

from defi_int.bot.errors import BotError


class ApiServer:
    """See the module docstring."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="defi-int-api", daemon=True)
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ApiServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise BotError(f"the API did not start listening on {self.host}:{self.port}")
            time.sleep(0.01)
        sockets = [s for server in self._server.servers for s in server.sockets]
        self.port = int(sockets[0].getsockname()[1])
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and self._server.started and not self._server.should_exit
