"""Benchmark: a full paged read (limit=200) of 10,000 topics and 10,000 profiles from the emulator,
in-process and over loopback HTTP; prints records read per second.

    python bench/emulator.py [--size 10000]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from scsync.emulator import BackgroundServer, open_emulator

log = logging.getLogger("bench.emulator")


def fixture(size: int) -> dict[str, Any]:
    """An account with ``size`` twitter profiles and ``size`` topics (one stream each)."""
    profiles = [{"type": "twitter", "service_id": f"Handle{i}",
                 "settings": {"color": "#6a1b9a", "name": f"Profile {i}",
                              "bio": f"Profile {i} https://example.com/{i}"}}
                for i in range(size)]
    topics = [{"id": i + 1, "name": f"Topic {i}", "searchkeywords": f"kw{i}",
               "services": [{"type": "twitter", "service_id": f"Handle{i}", "authorized": False}]}
              for i in range(size)]
    return {"emulator_fixture": 1, "account": {"id": 1, "name": "Bench"},
            "projects": [{"id": 1, "name": "P"}],
            "users": [{"id": 1, "email": "a@b.example", "role": "admin",
                       "tokens": [{"token": "bench-token"}]}],
            "profiles": profiles, "topics": topics}


def read_all(client: httpx.Client, path: str) -> int:
    count, url = 0, f"{path}?limit=200"
    while url:
        body = client.get(url).json()["response"]
        count += len(body["data"])
        url = body["paging"]["next_url"]
    return count


def measure(client: httpx.Client, label: str) -> None:
    for path in ("/1/settings/topics", "/1/settings/profiles"):
        started = time.perf_counter()
        count = read_all(client, path)
        elapsed = time.perf_counter() - started
        print(f"{label:10} {path:22} {count:6} records in {elapsed:6.2f} s: "
              f"{count / elapsed:9.0f} records/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10_000)
    size = parser.parse_args().size
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        emulator = open_emulator(Path(tmp) / "bench.db", fixture=fixture(size),
                                 rate_limit=(1_000_000, 3600))
        print(f"seeded {size} topics and {size} profiles in {time.perf_counter() - started:.2f} s")
        headers = {"Authorization": "Bearer bench-token"}
        with httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi),
                          base_url="http://emulator", headers=headers) as client:
            measure(client, "in-process")
        server = BackgroundServer(emulator)
        with httpx.Client(base_url=server.url, headers=headers) as client:
            measure(client, "http")
        server.stop()
        emulator.close()


if __name__ == "__main__":
    main()
