"""The baselines that the plan benchmark measures beside scsync, in the same run.

- octoDNS planning N DNS records YAML to YAML (a YamlProvider source and a YamlProvider target
  holding 99% of the same records), in the bench's own virtualenv ``bench/.venv-octodns``
  (created with ``pip install octodns`` on first use), run as ``octodns-sync`` without ``--doit``.
- The naive path: ruamel.yaml round-trip loading of the same config files, plain dicts, the same
  paged reads of the platform, and one DeepDiff over the whole state
  (``python -m bench.baselines naive CONFIG_DIR BASE_URL``, token from ``$SCSYNC_TOKEN``).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import ROOT, Measured, measure
from bench.gen_write import ACCOUNT_ID

log = logging.getLogger(__name__)

OCTODNS_VENV = ROOT / "bench" / ".venv-octodns"
ZONE = "bench.example.com."
PAGE = 200


# ----------------------------------------------------------------------------- octoDNS

def octodns_venv() -> Path:
    """The octoDNS virtualenv's bin directory, created (venv + pip install octodns) if absent."""
    bin_dir = OCTODNS_VENV / "bin"
    if not (bin_dir / "octodns-sync").exists():
        log.info("creating %s (pip install octodns)", OCTODNS_VENV)
        subprocess.run([sys.executable, "-m", "venv", str(OCTODNS_VENV)], check=True)
        subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "octodns"],
                       check=True)
    return bin_dir


def octodns_version() -> str:
    bin_dir = octodns_venv()
    done = subprocess.run([str(bin_dir / "python"), "-c",
                           "import octodns; print(octodns.__version__)"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


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


def run_octodns(n: int, out: Path) -> Measured:
    """Time ``octodns-sync`` planning N records (no ``--doit``: it plans and writes nothing)."""
    bin_dir = octodns_venv()
    config = write_octodns(n, out)
    measured = measure([str(bin_dir / "octodns-sync"), "--config-file", str(config)])
    if measured.returncode != 0:
        log.warning("octodns-sync exited %d: %s", measured.returncode, measured.stderr[-2000:])
    return measured


# ----------------------------------------------------------------------------- the naive path

def run_naive(config_dir: Path, base_url: str, token: str) -> Measured:
    """The naive plan as a subprocess, measured like scsync's (wall time and peak RSS)."""
    env = {**os.environ, "SCSYNC_TOKEN": token, "PYTHONPATH": str(ROOT)}
    return measure([sys.executable, "-m", "bench.baselines", "naive", str(config_dir), base_url],
                   env=env, cwd=ROOT)


def naive_load(config_dir: Path) -> dict[str, dict[str, Any]]:
    """ruamel.yaml round-trip loading of every config file, then plain dicts merged by section."""
    from ruamel.yaml import YAML

    loader = YAML(typ="rt")
    desired: dict[str, dict[str, Any]] = {}
    for path in sorted(config_dir.rglob("*.yaml")):
        if path.name == "scsync.yaml":
            continue
        data = _plain(loader.load(path.read_text(encoding="utf-8")))
        for section, items in (data or {}).items():
            desired.setdefault(section, {}).update(items)
    return desired


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def naive_read(base_url: str, account: int, token: str) -> tuple[dict[str, Any], int]:
    """The same paged list reads as scsync (limit 200), mapped to the config's shape."""
    import httpx

    raw: dict[str, list[dict[str, Any]]] = {}
    reads = 0
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"},
                      timeout=60) as client:
        for name in ("flows", "profiles", "topics", "profilegroups", "users"):
            url: str | None = f"/{account}/settings/{name}?limit={PAGE}"
            raw[name] = []
            while url:
                page = client.get(url).raise_for_status().json()["response"]
                reads += 1
                raw[name].extend(page["data"])
                url = page["paging"]["next_url"]
    return _live_shape(raw), reads


def _live_shape(raw: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    flows = {f["id"]: f["name"] for f in raw["flows"]}
    prefix = {"web": "livechat"}
    groups = {g["id"]: g["name"] for g in raw["profilegroups"]}

    def pname(item: dict[str, Any]) -> str:
        handle = item.get("username") or item["service_id"]
        return f"{prefix.get(item['type'], item['type'])}/{handle}"

    return {
        "profiles": {pname(p): _settings(p["settings"], flows) for p in raw["profiles"]},
        "topics": {t["name"]: _topic(t, pname) for t in raw["topics"]},
        "profile_groups": {g["name"]: {"color": g["color"],
                                       "profiles": [pname(p) for p in g["profiles"]],
                                       "groups": [groups[s["id"]] for s in g["groups"]]}
                           for g in raw["profilegroups"]},
        "users": {u["email"]: {"social_links": {k: v for k, v in u["social_links"].items() if v}}
                  for u in raw["users"]},
    }


def _settings(settings: dict[str, Any], flows: dict[int, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if value is None or value == [] or key == "bio_urls":
            continue
        if isinstance(value, list) and isinstance(value[0], dict) and "flow_id" in value[0]:
            value = [{**{k: v for k, v in item.items() if k != "flow_id"},
                      "flow": flows[item["flow_id"]]} for item in value]
        elif key in ("get_started", "send_flow_on_start"):
            value = flows[value]
        elif key == "bio":
            for link in settings.get("bio_urls") or []:
                value = value.replace(link["url"], link["expanded_url"])
        out[key] = value.upper() if key == "color" else value
    return out


def _topic(topic: dict[str, Any], pname: Any) -> dict[str, Any]:
    streams = [pname(s) if s["authorized"] else {"profile": pname(s), "authorized": False}
               for s in topic["services"]]
    out: dict[str, Any] = {"streams": streams}
    if topic.get("searchkeywords"):
        out = {"searchkeywords": topic["searchkeywords"], **out}
    return out


def naive_main(config_dir: Path, base_url: str) -> dict[str, Any]:
    """Load, read, one DeepDiff; returns the phase timings and the size of the diff."""
    start = time.perf_counter()
    desired = naive_load(config_dir)
    loaded = time.perf_counter()
    live, reads = naive_read(base_url, ACCOUNT_ID, os.environ["SCSYNC_TOKEN"])
    read = time.perf_counter()
    from deepdiff import DeepDiff

    diff = DeepDiff(desired, live)
    done = time.perf_counter()
    items = sum(len(v) for v in diff.values())
    return {"load_s": loaded - start, "read_s": read - loaded, "diff_s": done - read,
            "reads": reads, "diff_items": items}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "naive":
        print(json.dumps(naive_main(Path(sys.argv[2]), sys.argv[3])))
    else:
        sys.exit("usage: python -m bench.baselines naive CONFIG_DIR BASE_URL")
