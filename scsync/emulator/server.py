"""Serving an emulator over HTTP: a threaded werkzeug server whose request handler closes the
socket without an answer when the app raises ``DropConnection`` (dropped and lost responses)."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from scsync.emulator.emulator import Emulator

log = logging.getLogger(__name__)


class _Handler(WSGIRequestHandler):
    """Closes the connection when the app (or client) drops it; logs through ``logging``."""

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def log(self, type: str, message: str, *args: Any) -> None:
        log.debug("%s " + message, self.address_string(), *args)


def make(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """A threaded server for ``emulator`` (port 0: an ephemeral port, see ``server.port``)."""
    return make_server(host, port, emulator.wsgi, threaded=True, request_handler=_Handler)


def base_url(server: BaseWSGIServer) -> str:
    host = server.host if ":" not in server.host else f"[{server.host}]"
    return f"http://{host}:{server.port}"


class BackgroundServer:
    """A server running in a daemon thread (tests, the demo); ``stop()`` shuts it down."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = make(emulator, host, port)
        self.url = base_url(self.server)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def serve(emulator: Emulator, *, host: str = "127.0.0.1", port: int = 0,
          announce: Any = None) -> None:
    """Serve until interrupted; ``announce(line)`` gets the ``base_url:`` and ``token:`` lines."""
    server = make(emulator, host, port)
    try:
        if announce is not None:
            announce(f"base_url: {base_url(server)}")
            announce(f"token: {emulator.first_token()}")
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        log.info("emulator stopped")
    finally:
        server.server_close()
        emulator.close()
