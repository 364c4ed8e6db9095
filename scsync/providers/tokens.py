"""The token store: where the tokens a refresh (or ``scsync login``) obtained are kept, so the next
run uses them. The platform rotates the refresh token on every refresh, so a refreshed token that
is not kept is a refresh token lost: the next run would fail with "Invalid refresh token".

One JSON file per account and OAuth client, mode 0600 in a 0700 directory: under the user's cache
directory (``$XDG_CACHE_HOME/scsync/tokens/``, default ``~/.cache/scsync/tokens/``) or at the
path ``provider.token_store`` gives; never inside the config's repository. A CI runner (``CI`` set
and no ``token_store`` configured) has no store: its cache does not outlive the job.

A stored entry records a fingerprint (a hash) of the configured secret it descends from; it is
preferred over the configured tokens only while that secret stays the same, so renewing the
secret in the environment takes effect at once. The file's content is never printed or logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scsync.errors import ProviderError

logger = logging.getLogger(__name__)

FORMAT = 1
CI_VALUES = frozenset({"1", "true", "yes"})


@dataclass(frozen=True, slots=True)
class StoredTokens:
    """Tokens as the store keeps them (never in ``repr``)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float | None
    source: str  # fingerprint of the configured secret these tokens descend from


def fingerprint(seed: str | None) -> str:
    """A short hash naming a configured secret without revealing it (``""``: none configured)."""
    return hashlib.sha256((seed or "").encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class TokenStore:
    """One store file; ``problem`` says why it cannot be used (then nothing is read or written)."""

    path: Path
    problem: str | None = None

    def load(self) -> StoredTokens | None:
        """The stored tokens, or None when there are none or the file is unreadable."""
        if self.problem is not None:
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return StoredTokens(str(data["access_token"]), data.get("refresh_token"),
                                data.get("expires_at"), str(data["source"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            logger.warning("ignoring the unreadable token store %s", self.path)
            return None

    def writable_problem(self) -> str | None:
        """Why tokens could not be saved here (checked before a refresh rotates them)."""
        if self.problem is not None:
            return self.problem
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            return f"cannot create {self.path.parent}: {exc.strerror or exc}"
        if not os.access(self.path.parent, os.W_OK | os.X_OK):
            return f"cannot write to {self.path.parent}"
        return None

    def save(self, tokens: StoredTokens) -> None:
        """Replace the stored tokens atomically, readable by the user alone."""
        problem = self.writable_problem()
        if problem is not None:
            raise ProviderError(f"cannot keep the refreshed tokens: {problem}")
        data = {"format": FORMAT, "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token, "expires_at": tokens.expires_at,
                "source": tokens.source}
        handle, temp = tempfile.mkstemp(prefix=".tokens-", dir=self.path.parent)
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(data, file)
            os.replace(temp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise ProviderError(f"cannot write the token store {self.path}: "
                                f"{exc.strerror or exc}") from None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Held across read-refresh-write, so two processes never spend one refresh token."""
        try:
            import fcntl
        except ImportError:  # not POSIX: no cross-process lock
            yield
            return
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def open_store(*, configured: str | None, key: str, env: Mapping[str, str],
               repository: Path) -> TokenStore:
    """The store for ``key`` (account and client): ``configured`` (``provider.token_store``,
    relative to the home directory when it starts with ``~``), else the user's cache directory;
    ``problem`` set on a CI runner without a configured store."""
    if configured:
        path = Path(os.path.expanduser(configured)).resolve()
        if _inside(path, repository):
            raise ProviderError(f"provider.token_store {configured} is inside the config's "
                                "repository: tokens must never be committed; choose a path "
                                "outside it")
        return TokenStore(path)
    name = f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    path = cache_dir(env) / "scsync" / "tokens" / name
    if env.get("CI", "").strip().lower() in CI_VALUES:
        return TokenStore(path, "CI is set and provider.token_store is not: a CI runner's cache "
                                "does not outlive the job")
    return TokenStore(path)


def cache_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME``, else ``~/.cache``."""
    configured = env.get("XDG_CACHE_HOME", "")
    return Path(configured) if os.path.isabs(configured) else Path.home() / ".cache"


def _inside(path: Path, repository: Path) -> bool:
    root = repository.resolve()
    for top in (root, *root.parents):
        if (top / ".git").exists():
            root = top
            break
    return path == root or root in path.parents
