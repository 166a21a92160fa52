"""A JSON-RPC proxy on 127.0.0.1 that drops, delays or fails a share of the calls it forwards to a node.

``ChaosProxy(upstream, rate=0.1, seed=...)`` listens on a free port (``url``). Each request is, with
probability ``rate``, one of (chosen evenly):

- ``drop_before``: the connection is closed without an answer, the node never sees the call;
- ``drop_after``: the call reaches the node (a transaction is sent!), the answer is thrown away and
  the connection closed: the client cannot know whether it happened;
- ``delay``: forwarded after 50-250 ms;
- ``fail``: answered with HTTP 503 and no JSON-RPC body;
- ``error``: answered with a JSON-RPC internal error (-32603), the node never sees the call.

Otherwise it is forwarded untouched. ``stats`` counts calls by outcome and method. Methods in
``refused`` are answered "method not found" (-32601), as a node that does not offer them does.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import random
import socket
import threading
import time
from collections import Counter

import requests

KINDS = ("drop_before", "drop_after", "delay", "fail", "error")


class ChaosProxy:
    def __init__(self, upstream: str, *, rate: float = 0.1, seed: int = 0) -> None:
        self.upstream = upstream
        self.rate = rate
        self.kinds: tuple[str, ...] = KINDS  # the faults to choose from (a test may narrow them)
        self.refused: set[str] = set()  # methods answered "method not found"
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.stats: Counter[str] = Counter()
        self.methods: Counter[str] = Counter()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # answers go out whole, not 40 ms later

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                proxy.handle(self, body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.session = threading.local()

    def __enter__(self) -> ChaosProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _choose(self) -> str:
        with self.lock:
            if self.random.random() >= self.rate:
                return "forward"
            return self.random.choice(self.kinds)

    def handle(self, handler: http.server.BaseHTTPRequestHandler, body: bytes) -> None:
        kind = self._choose()
        try:
            method = str(json.loads(body).get("method"))
        except (ValueError, AttributeError):
            method = "?"
        if method in self.refused:
            kind = "refused"
        with self.lock:
            self.stats[kind] += 1
            self.stats["calls"] += 1
            if kind != "forward":
                self.methods[f"{kind}:{method}"] += 1
        if kind == "drop_before":
            self._drop(handler)
            return
        if kind == "fail":
            self._reply(handler, 503, b"upstream unavailable (chaos)", "text/plain")
            return
        if kind in ("error", "refused"):
            code, text = (-32603, "chaos") if kind == "error" else (-32601, f"the method {method} does not exist")
            reply = {"jsonrpc": "2.0", "id": json.loads(body).get("id"), "error": {"code": code, "message": text}}
            self._reply(handler, 200, json.dumps(reply).encode(), "application/json")
            return
        if kind == "delay":
            time.sleep(self.random.uniform(0.05, 0.25))
        session = getattr(self.session, "value", None)
        if session is None:
            session = self.session.value = requests.Session()
        answer = session.post(self.upstream, data=body, headers={"content-type": "application/json"}, timeout=30)
        if kind == "drop_after":
            self._drop(handler)
            return
        self._reply(handler, answer.status_code, answer.content, "application/json")

    @staticmethod
    def _reply(handler: http.server.BaseHTTPRequestHandler, status: int, data: bytes, media: str) -> None:
        handler.send_response(status)
        handler.send_header("content-type", media)
        handler.send_header("content-length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _drop(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)
