"""Serving an emulator over HTTP(S): threaded werkzeug servers whose request handler closes the
socket without an answer when the app raises ``DropConnection`` (dropped and lost responses).

An emulator is served on two loopback listeners, as the platform has two hosts: the API
(``base_url``) and the web app whose OAuth token endpoint refreshes tokens (``oauth_url``)."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
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


def make(emulator: Emulator, host: str = "127.0.0.1", port: int = 0, *,
         tls: ssl.SSLContext | None = None, oauth: bool = False) -> BaseWSGIServer:
    """A threaded server for ``emulator``'s API (``oauth``: its web-app origin); port 0: an
    ephemeral port, see ``server.port``."""
    app = emulator.oauth_wsgi if oauth else emulator.wsgi
    return make_server(host, port, app, threaded=True, request_handler=_Handler,
                       ssl_context=tls)


def base_url(server: BaseWSGIServer) -> str:
    host = server.host if ":" not in server.host else f"[{server.host}]"
    scheme = "https" if server.ssl_context is not None else "http"
    return f"{scheme}://{host}:{server.port}"


def _thread(server: BaseWSGIServer, poll_interval: float) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True,
                              kwargs={"poll_interval": poll_interval})
    thread.start()
    return thread


class BackgroundServer:
    """The API and web-app servers running in daemon threads (tests, the demo); ``url`` and
    ``oauth_url`` are their base URLs; ``stop()`` shuts them down."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0, *,
                 tls: ssl.SSLContext | None = None) -> None:
        self.servers = [make(emulator, host, port, tls=tls),
                        make(emulator, host, 0, tls=tls, oauth=True)]
        self.server = self.servers[0]
        self.url, self.oauth_url = (base_url(s) for s in self.servers)
        self._threads = [_thread(s, 0.05) for s in self.servers]

    def stop(self) -> None:
        for server, thread in zip(self.servers, self._threads, strict=True):
            server.shutdown()
            server.server_close()
            thread.join(5)


def serve(emulator: Emulator, *, host: str = "127.0.0.1", port: int = 0,
          tls: ssl.SSLContext | None = None, ca_file: Path | None = None,
          announce: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted; ``announce(line)`` gets the ``base_url:``, ``token:`` and
    ``oauth_url:`` lines (in that order: readers of the first two keep working), then
    ``ca_file:`` when the CA of a self-signed certificate is in ``ca_file``."""
    server = make(emulator, host, port, tls=tls)
    web = make(emulator, host, 0, tls=tls, oauth=True)
    _thread(web, 0.1)
    try:
        if announce is not None:
            announce(f"base_url: {base_url(server)}")
            announce(f"token: {emulator.first_token()}")
            announce(f"oauth_url: {base_url(web)}")
            if ca_file is not None:
                announce(f"ca_file: {ca_file}")
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        log.info("emulator stopped")
    finally:
        web.shutdown()
        web.server_close()
        server.server_close()
        emulator.close()
