"""A phone's network the test controls: a loopback TCP forwarder between the browser and the
live server.

``context.set_offline`` only reaches the pages (and not the service worker of a relaunched
persistent profile), so a test that only flips it can pass while the phone still talks to the
server. Every byte the browser sends here goes through this forwarder: ``cut()`` drops the
open connections and resets each new one, so nothing in the browser — page, service worker,
Background Sync — reaches the server until ``restore()``.
"""

import socket
import struct
import threading
from contextlib import contextmanager, suppress


class LoopbackNetwork:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._up = True
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = False
        # Connections the browser tried while the network was cut (each was reset).
        self.refused = 0
        # Connections that went through to the server.
        self.forwarded = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def up(self) -> bool:
        return self._up

    def cut(self) -> None:
        """No signal: open connections are dropped, new ones reset."""
        with self._lock:
            self._up = False
            for sock in list(self._open):
                _reset(sock)
            self._open.clear()

    def restore(self) -> None:
        with self._lock:
            self._up = True

    @contextmanager
    def offline(self, *contexts):
        """Cut the network, and tell the pages (``navigator.onLine``) too."""
        self.cut()
        for context in contexts:
            context.set_offline(True)
        try:
            yield
        finally:
            for context in contexts:
                context.set_offline(False)
            self.restore()

    def go_offline(self, *contexts) -> None:
        self.cut()
        for context in contexts:
            context.set_offline(True)

    def go_online(self, *contexts) -> None:
        self.restore()
        for context in contexts:
            context.set_offline(False)

    def close(self) -> None:
        self._stopped = True
        self.cut()
        with suppress(OSError):
            self._listener.close()

    # --- the forwarding --------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                up = self._up
                if not up:
                    self.refused += 1
            if not up:
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self.forwarded += 1
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while self._up:
                chunk = source.recv(65536)
                if not chunk or not self._up:
                    break
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            for sock in (source, sink):
                _reset(sock) if not self._up else _close(sock)


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset, as a dropped signal looks to the browser."""
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    _close(sock)


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with suppress(OSError):
        sock.close()
