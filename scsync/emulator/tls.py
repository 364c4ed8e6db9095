"""TLS for the emulator on loopback, so https-only clients (which treat a ``next_url`` that is not
``https://`` as relative) page through it: a server context from a certificate and key, or a
throwaway CA and loopback certificate made with ``trustme`` (imported only on that path)."""

from __future__ import annotations

import ssl
from pathlib import Path

from scsync.emulator.errors import EmulatorError

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
CA_FILE = "emulator-ca.pem"


def from_files(cert: Path, key: Path) -> ssl.SSLContext:
    """A server context from PEM files; ``EmulatorError`` when they do not load."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as exc:
        raise EmulatorError(f"cannot load the TLS certificate {cert} with key {key}: "
                            f"{exc.strerror or exc}") from None
    return context


def self_signed(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a fresh certificate for the loopback names, signed by a fresh CA
    whose certificate is written to ``directory`` (the path returned: give it to clients)."""
    import trustme

    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(*LOOPBACK_NAMES).configure_cert(context)
    path = directory / CA_FILE
    ca.cert_pem.write_to_path(str(path))
    return context, path
