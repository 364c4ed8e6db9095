"""Where the provider may talk to: the base URL's origin, the loopback exception for plain
``http://`` and for ``verify_tls: false``, and the same-origin rule for ``next_url``."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import httpx

from scsync.errors import ProviderError

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Origin:
    """Scheme, host and port of a URL (the default port filled in)."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: httpx.URL) -> Origin:
        scheme = url.scheme.lower()
        return cls(scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(scheme, 0))

    @property
    def text(self) -> str:
        """``https://api.engagor.com`` (the port only when it is not the scheme's default)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = _DEFAULT_PORTS.get(self.scheme)
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{host}{port}"


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 and ``::1``."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str, *, verify_tls: bool, in_process: bool) -> Origin:
    """The origin of ``base_url``, or a ``ProviderError`` when it may not be used."""
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError):
        raise ProviderError(f"base_url {base_url!r} is not a URL") from None
    if url.scheme not in _DEFAULT_PORTS or not url.host:
        raise ProviderError(f"base_url {base_url!r} must start with https://")
    origin = Origin.of(url)
    local = in_process or is_loopback(url.host)
    if origin.scheme == "http" and not local:
        raise ProviderError(f"refusing plain http:// for {url.host}: use https:// "
                            "(plain http is allowed only on loopback)")
    if not verify_tls and not local:
        raise ProviderError(f"refusing verify_tls: false for {url.host}: "
                            "TLS verification may be turned off only on loopback")
    return origin
