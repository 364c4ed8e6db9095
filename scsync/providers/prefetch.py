"""Paged lists read concurrently: ``Prefetch``, which ``ApiClient.prefetch`` returns, hands each
list's pages over in order (parsed, for the lists given a parser) while the platform serves the
next ones."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scsync.providers.http import ApiClient

READ_WORKERS = 4  # paged lists fetched at once by ``ApiClient.prefetch``


class Prefetch:
    """Paged lists fetched in a small thread pool, each list's pages handed over in order as they
    arrive, so the platform serves one page while the caller parses another.

    The requests, their count and their retries are those of ``ApiClient.pages``; a list's error
    is raised when the caller reaches that list. Leaving the ``with`` block stops the lists not
    finished yet (after their current page) and waits for the threads. With an in-process
    platform (which shares this process's interpreter, so nothing would overlap) the lists are
    fetched on the caller's thread, one after the other, as the caller reaches them.

    A list with a parser in ``parsers`` (path -> function of a page) is handed over parsed: its
    thread parses each page as it arrives, so a list waiting for the caller to reach it is held
    as parsed objects, not as raw pages. A parser's error ends its list like a request's.
    """

    _DONE = object()

    def __init__(self, client: ApiClient, paths: Sequence[str],
                 parsers: Mapping[str, Callable[[list[Any]], Any]] | None = None) -> None:
        self._client = client
        self._parsers = dict(parsers or {})
        self._queues: dict[str, queue.SimpleQueue[Any]] = {p: queue.SimpleQueue() for p in paths}
        self._stop = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        if client.options.in_process or not paths:
            return
        self._pool = ThreadPoolExecutor(max_workers=min(READ_WORKERS, len(paths)),
                                        thread_name_prefix="scsync-read")
        for path in paths:
            self._pool.submit(self._fetch, path)

    def _fetch(self, path: str) -> None:
        out, parse = self._queues[path], self._parsers.get(path)
        try:
            for page in self._client.pages(path):
                out.put(page if parse is None else parse(page))
                if self._stop.is_set():
                    break
            out.put(self._DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            out.put(exc)

    def pages(self, path: str) -> Iterator[Any]:
        """The pages of ``path`` in order (parsed when it has a parser); raises the error that
        ended its fetch."""
        if self._pool is None:
            parse = self._parsers.get(path)
            for page in self._client.pages(path):
                yield page if parse is None else parse(page)
            return
        source = self._queues[path]
        while (item := source.get()) is not self._DONE:
            if isinstance(item, BaseException):
                raise item
            yield item

    def items(self, path: str) -> list[Any]:
        """Every item of ``path``."""
        return [item for page in self.pages(path) for item in page]

    def close(self) -> None:
        self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Prefetch:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
