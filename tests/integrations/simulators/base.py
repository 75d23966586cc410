"""Shared simulator plumbing: fault injection, a request log, and serving on loopback.

A simulator is a callable ``httpx.Request -> httpx.Response``: tests hand it to
``httpx.MockTransport`` (fast, in-process) or to ``serve`` (a real HTTP server on 127.0.0.1, for
code paths that open their own client — the sync task, the API, the benchmark).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class Simulator:
    # Faults served before normal answers, one per request: "429", "503", "500", "401",
    # "timeout", "slow" (no answer within the client's read time-out: the time-out is waited
    # for, then it expires, as with an ERP that answers too late), "malformed"; a tuple
    # (fault, retry_after) sets Retry-After; None answers normally; "revoke" forgets every
    # token issued so far (the ERP restarted or rotated its keys) and then answers normally.
    def __init__(self) -> None:
        self.faults: list[Any] = []
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()
        self.tokens: set[str] = set()
        self.tokens_issued = 0

    def issue_token(self, prefix: str) -> str:
        """A bearer token never issued before (a revoked one stays invalid)."""
        with self.lock:
            self.tokens_issued += 1
            token = f"{prefix}-{self.tokens_issued}"
            self.tokens.add(token)
        return token

    def error(self, status: int, message: str, headers: dict[str, str] | None = None):
        return httpx.Response(status, json={"message": message}, headers=headers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            fault = self.faults.pop(0) if self.faults else None
        if fault == "revoke":
            with self.lock:
                self.tokens.clear()
            fault = None
        if fault is not None:
            kind, retry_after = fault if isinstance(fault, tuple) else (fault, None)
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            if kind == "timeout":
                raise httpx.ReadTimeout("simulated timeout", request=request)
            if kind == "slow":
                wait_out_the_time_out(request)
            if kind == "malformed":
                return httpx.Response(
                    200,
                    text="<html>Gateway says hello</html>",
                    headers={"content-type": "text/html"},
                )
            messages = {
                "429": "Too Many Requests",
                "503": "Service Unavailable",
                "500": "Internal Server Error",
                "401": "Invalid or expired credentials",
            }
            return self.error(int(kind), messages[kind], headers)
        return self.handle(request)

    def handle(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def wait_out_the_time_out(request: httpx.Request) -> None:
    """An answer later than the client's read time-out: the client waits that long, then gives
    up (httpx puts the time-outs of the client on each request)."""
    read = (request.extensions.get("timeout") or {}).get("read") or 0.0
    time.sleep(read)
    raise httpx.ReadTimeout("no answer within the read time-out", request=request)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None):
    return httpx.Response(
        status,
        content=json.dumps(body, default=str).encode(),
        headers={"content-type": "application/json", **(headers or {})},
    )


@contextmanager
def serve(simulator: Simulator, *, timeout_sleep: float = 1.0) -> Iterator[str]:
    """Serve ``simulator`` on a loopback port; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            host = f"http://127.0.0.1:{self.server.server_port}"
            request = httpx.Request(
                self.command, host + self.path, headers=dict(self.headers), content=body
            )
            try:
                response = simulator(request)
            except httpx.TimeoutException:
                time.sleep(timeout_sleep)
                response = httpx.Response(504, text="late")
            content = response.read()
            self.send_response(response.status_code)
            for name, value in response.headers.multi_items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _any

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
