"""The baselines that the plan benchmark measures beside scsync, in the same run.

- octoDNS planning N DNS records YAML to YAML (a YamlProvider source and a YamlProvider target
  holding 99% of the same records), in the bench's own virtualenv ``bench/.venv-octodns``
  (``pip install -r bench/requirements-octodns.txt``: the version is pinned), run as
  ``octodns-sync`` without ``--doit``.
- One GET per object: every object of the account read on its own, timed against the served
  emulator (``per_object_read``), beside scsync's paged reads.
- The platform's read floor (``paged_read_s``): the GETs a plan makes (``/me``, ``/me/accounts``
  and the account's six paged lists, 200 items a page), by the least client that can make them:
  pages in sequence within a list (each page's token is in the one before), four lists at a time,
  the longest first, each page decoded from JSON and nothing else.
"""

from __future__ import annotations

import functools
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import ROOT, Measured, measure
from bench.gen_write import ACCOUNT_ID

log = logging.getLogger(__name__)

OCTODNS_VENV = ROOT / "bench" / ".venv-octodns"
OCTODNS_REQUIREMENTS = ROOT / "bench" / "requirements-octodns.txt"
OCTODNS_VERSION = OCTODNS_REQUIREMENTS.read_text().strip().partition("==")[2]
ZONE = "bench.example.com."
PAGE = 200


# ----------------------------------------------------------------------------- octoDNS

@functools.cache
def octodns_venv() -> Path:
    """The octoDNS virtualenv's bin directory, (re)installed when absent or not the pinned
    version of ``bench/requirements-octodns.txt``."""
    bin_dir = OCTODNS_VENV / "bin"
    if _installed_version(bin_dir) != OCTODNS_VERSION:
        log.info("installing octodns==%s into %s", OCTODNS_VERSION, OCTODNS_VENV)
        subprocess.run([sys.executable, "-m", "venv", str(OCTODNS_VENV)], check=True)
        subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "-r",
                        str(OCTODNS_REQUIREMENTS)], check=True)
    return bin_dir


def _installed_version(bin_dir: Path) -> str | None:
    if not (bin_dir / "octodns-sync").exists():
        return None
    done = subprocess.run([str(bin_dir / "python"), "-c",
                           "import octodns; print(octodns.__version__)"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def dns_record(i: int, *, changed: bool = False) -> tuple[str, str]:
    """The YAML text of record ``r{i}``: A, AAAA, CNAME, TXT or MX, small like real zones."""
    kind = i % 5
    octet = (i + (1 if changed else 0)) % 250 + 1
    if kind == 0:
        body = f"  type: A\n  value: 10.{i // 62500 % 250}.{i // 250 % 250}.{octet}\n"
    elif kind == 1:
        body = f"  type: AAAA\n  value: 2001:db8::{i % 65535:x}:{octet:x}\n"
    elif kind == 2:
        body = f"  type: CNAME\n  value: edge{octet}.cdn.example.net.\n"
    elif kind == 3:
        body = f"  type: TXT\n  value: v=spf1 include:mail{octet}.example.net ~all\n"
    else:
        body = (f"  type: MX\n  values:\n  - exchange: mx{octet}.example.net.\n"
                f"    preference: 10\n")
    return f"r{i:06d}", body


def write_zone(path: Path, n: int, changed: frozenset[int] = frozenset()) -> None:
    """A YamlProvider zone file of N records (keys in the sorted order octoDNS enforces)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["---\n"]
    for i in range(n):
        name, body = dns_record(i, changed=i in changed)
        lines.append(f"{name}:\n{body}")
    path.write_text("".join(lines), encoding="utf-8")


def write_octodns(n: int, out: Path) -> Path:
    """config/ (N records), target/ (1% different) and octodns.yaml; returns the latter."""
    changed = frozenset(range(0, n, 100))
    write_zone(out / "config" / f"{ZONE}yaml", n)
    write_zone(out / "target" / f"{ZONE}yaml", n, changed)
    config = out / "octodns.yaml"
    config.write_text(
        "providers:\n"
        "  config:\n    class: octodns.provider.yaml.YamlProvider\n"
        f"    directory: {out / 'config'}\n"
        "  target:\n    class: octodns.provider.yaml.YamlProvider\n"
        f"    directory: {out / 'target'}\n"
        f"zones:\n  {ZONE}:\n    sources: [config]\n    targets: [target]\n", encoding="utf-8")
    return config


def run_octodns(n: int, out: Path, *, write: bool = True) -> Measured:
    """Time ``octodns-sync`` planning N records (no ``--doit``: it plans and writes nothing)."""
    bin_dir = octodns_venv()
    config = write_octodns(n, out) if write else out / "octodns.yaml"
    measured = measure([str(bin_dir / "octodns-sync"), "--config-file", str(config)])
    if measured.returncode != 0:
        log.warning("octodns-sync exited %d: %s", measured.returncode, measured.stderr[-2000:])
    return measured


# ----------------------------------------------------------------------------- paged read floor

PLAN_LISTS = ("profiles", "topics", "connectedprofiles", "flows", "profilegroups", "users")


def paged_read_s(base_url: str, token: str, account: int = ACCOUNT_ID) -> float:
    """Seconds the least client takes to make a plan's reads against the served platform (see the
    module's docstring): what no client's own code can save of a plan's read."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"},
                      timeout=60, limits=httpx.Limits(max_keepalive_connections=4)) as client:
        def listed(url: str | None) -> int:
            count = 0
            while url:
                page = client.get(url).raise_for_status().json()["response"]
                count += len(page["data"])
                url = page["paging"]["next_url"]
            return count

        start = time.perf_counter()
        client.get("/me").raise_for_status().json()
        listed(f"/me/accounts?limit={PAGE}")
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(listed, [f"/{account}/settings/{name}?limit={PAGE}"
                                   for name in PLAN_LISTS]))
        return time.perf_counter() - start


# ----------------------------------------------------------------------------- one GET per object

def per_object_read(base_url: str, token: str, account: int = ACCOUNT_ID) -> dict[str, Any]:
    """A reader that GETs every object on its own, as a client keeping ids in a state file would:
    the ids come from the paged lists (not timed, the state file's part), then one
    ``GET /{a}/settings/profile/{type}/{service_id}``, ``topic/{id}``, ``profilegroup/{id}`` or
    ``user/{id}`` per object, one after the other over one keep-alive connection, timed."""
    import httpx

    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"},
                      timeout=60) as client:
        def listed(name: str) -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = []
            url: str | None = f"/{account}/settings/{name}?limit={PAGE}"
            while url:
                page = client.get(url).raise_for_status().json()["response"]
                items.extend(page["data"])
                url = page["paging"]["next_url"]
            return items

        paths = [f"/{account}/settings/profile/{p['type']}/{p['service_id']}"
                 for p in listed("profiles")]
        paths += [f"/{account}/settings/topic/{t['id']}" for t in listed("topics")]
        paths += [f"/{account}/settings/profilegroup/{g['id']}" for g in listed("profilegroups")]
        paths += [f"/{account}/settings/user/{u['id']}" for u in listed("users")]
        start = time.perf_counter()
        for path in paths:
            client.get(path).raise_for_status()
        return {"gets": len(paths), "read_s": time.perf_counter() - start}
