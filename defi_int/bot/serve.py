"""Runs the API under uvicorn in a background thread, on 127.0.0.1 by default.

``ApiServer(app).start()`` returns once the socket listens (``url`` then says where, also for
``port=0``: a free port); ``stop()`` asks uvicorn to finish in-flight requests and joins the
thread. The ``defi-int keeper`` command runs the loop in the main thread beside it.

Slow clients hold nothing: a connection whose request line and headers do not arrive whole within
``request_timeout`` seconds of their first byte (or of the connection, for the first request) is
closed (``_DeadlineProtocol``, uvicorn's httptools protocol with that deadline; uvicorn itself only
times out idle kept-alive connections), and a body that does not arrive in time is answered 408 and
closed by the app (``api._BodyLimit``).
"""

from __future__ import annotations

import asyncio
import threading
import time

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from defi_int.bot.errors import BotError


class _DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request head stalls (module docstring)."""

    head_timeout = 10.0  # set per server by ``_protocol``
    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(self.head_timeout, self._stalled)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _stalled(self) -> None:
        self._head_deadline = None
        if self.cycle is None or self.cycle.response_complete:  # no request under way: only a stalled head
            self.transport.close()


def _protocol(head_timeout: float) -> type[_DeadlineProtocol]:
    return type("DeadlineProtocol", (_DeadlineProtocol,), {"head_timeout": head_timeout})


class ApiServer:
    """See the module docstring."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0, *, request_timeout: float = 10.0) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", lifespan="off", access_log=False,
            http=_protocol(request_timeout),
        )  # fmt: skip
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
