"""Twitter's handling of bios: URLs count as 23 characters, and each is stored as a t.co link
whose expansion the API returns in ``bio_urls``."""

from __future__ import annotations

import hashlib
import re
from typing import Any

URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)
TCO_LENGTH = 23
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def twitter_length(text: str) -> int:
    """The length Twitter counts: code points, with every URL counted as its t.co link."""
    return len(URL.sub("x" * TCO_LENGTH, text))


def tco_link(url: str) -> str:
    """A stable ``https://t.co/<10 chars>`` link for ``url``."""
    number = int.from_bytes(hashlib.sha256(url.encode()).digest()[:10], "big")
    chars = []
    for _ in range(10):
        number, rest = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[rest])
    return "https://t.co/" + "".join(chars)


def shorten(bio: str, known: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    """The bio as stored (every URL a t.co link) and its ``bio_urls``. A t.co link that the
    profile already has keeps its expansion."""
    expansions = {item["url"]: item["expanded_url"] for item in known}
    urls: list[dict[str, str]] = []

    def replace(match: re.Match[str]) -> str:
        url = match.group(0)
        if url in expansions:
            urls.append({"url": url, "expanded_url": expansions[url]})
            return url
        link = tco_link(url)
        urls.append({"url": link, "expanded_url": url})
        return link

    return URL.sub(replace, bio), urls
