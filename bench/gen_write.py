"""Writing a generated bench account to disk (``bench.gen`` builds it): ``scsync.yaml`` naming the
emulated account and the token variable, then the config tree split into files of
``FILE_CHUNK`` objects."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = 1001
TOKEN_ENV = "SCSYNC_TOKEN"
FILE_CHUNK = 500  # objects per config file


def settings_yaml(base_url: str) -> str:
    """scsync.yaml for the bench account: the socialconnect provider, the token by reference."""
    return (f"scsync: 1\nprovider:\n  type: socialconnect\n  base_url: {base_url}\n"
            f"  account_id: {ACCOUNT_ID}\n  token: ${{env:{TOKEN_ENV}}}\n"
            "ownership:\n  topics: authoritative\n  profile_groups: authoritative\n"
            'protect: ["topic.Route 000000 Care"]\n'
            "safety: {max_update_ratio: 0.3, max_delete_ratio: 0.3, min_existing: 10}\n")


def write_settings(config_dir: Path, base_url: str) -> None:
    """Point the config at a running platform (the emulator's port is only known once it runs)."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "scsync.yaml").write_text(settings_yaml(base_url), encoding="utf-8")


def _dump(path: Path, section: str, items: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump({section: items}, Dumper=yaml.CSafeDumper, sort_keys=False, width=200,
                     allow_unicode=True, default_flow_style=False)
    path.write_text(text, encoding="utf-8")
    return path


def _chunks(items: dict[str, Any], size: int) -> list[dict[str, Any]]:
    keys = list(items)
    return [{k: items[k] for k in keys[i:i + size]} for i in range(0, len(keys), size)]


def write_config(config: dict[str, dict[str, Any]], config_dir: Path, networks: Sequence[str],
                 base_url: str = "http://127.0.0.1:9") -> list[Path]:
    """Write the config tree: profiles/NETWORK-KK.yaml (per network of ``networks``, in that
    order), topics/topics-KK.yaml, groups, users."""
    write_settings(config_dir, base_url)
    files = [config_dir / "scsync.yaml"]
    for network in networks:
        mine = {k: v for k, v in config["profiles"].items() if k.startswith(network + "/")}
        for k, chunk in enumerate(_chunks(mine, FILE_CHUNK)):
            files.append(_dump(config_dir / "profiles" / f"{network}-{k:02d}.yaml",
                               "profiles", chunk))
    for k, chunk in enumerate(_chunks(config["topics"], FILE_CHUNK)):
        files.append(_dump(config_dir / "topics" / f"topics-{k:02d}.yaml", "topics", chunk))
    files.append(_dump(config_dir / "profile_groups.yaml", "profile_groups",
                       config["profile_groups"]))
    files.append(_dump(config_dir / "users.yaml", "users", config["users"]))
    return files
