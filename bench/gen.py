"""Synthetic accounts for the benchmarks: for N objects, a config directory (``scsync.yaml`` plus
profiles split over several files per network, topics with 2-4 streams, at most 20 profile groups,
users) and the matching emulator fixture in which about 1% of the objects differ from the config.

Objects are mostly profiles (every network) and topics; streams are part of their topic and are
not counted. The fixture holds every profile, the connected profiles that authorized streams
need, public pages for unauthorized streams, and flows. ``python -m bench.gen N OUT`` writes one.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.gen_write import ACCOUNT_ID, write_config

log = logging.getLogger(__name__)

ADMIN_TOKEN = "bench-admin-token"  # a fixture token of the emulated account, not a real secret
CP_PAGES = 100  # pages one connected profile administers
FLOWS = {"Refund": 501, "CSAT": 502, "Baggage": 503, "Booking": 504, "Welcome": 505}
NETWORK_SHARE = (("twitter", 40), ("facebook", 25), ("instagram", 20), ("whatsapp", 10),
                 ("livechat", 5))
API_TYPE = {"twitter": "twitter", "facebook": "facebook", "instagram": "instagram",
            "whatsapp": "whatsapp", "livechat": "web"}
CITIES = ("London", "Berlin", "Madrid", "Paris", "Rome", "Dublin", "Lisbon", "Vienna", "Oslo",
          "Prague", "Athens", "Warsaw", "Zurich", "Brussels", "Helsinki", "Lyon")
PALETTE = ("#6A1B9A", "#00897B", "#1DA1F2", "#C62828", "#F9A825", "#283593", "#2E7D32")
FLOW_FIELDS_LIST = {"quick_replies": "label", "quick_replies_on_every_message": "label",
                    "persistent_menu": "label", "ice_breakers": "question"}
FLOW_FIELDS_SCALAR = ("get_started", "send_flow_on_start")


@dataclass
class Generated:
    """What ``generate`` wrote, and what a plan of it should find."""

    config_dir: Path
    fixture: Path
    counts: dict[str, int]
    changed: int  # objects whose live copy differs (updates)
    created: int  # config topics absent from the platform (creates)
    files: list[Path] = field(default_factory=list)

    @property
    def objects(self) -> int:
        return sum(self.counts.values())


# ----------------------------------------------------------------------------- the mix

def split_counts(n: int) -> dict[str, int]:
    """Objects per kind for N: groups <= 20 (the platform's limit), ~1% users, ~30% topics."""
    groups = min(20, max(1, n // 50))
    users = max(3, n // 100)
    topics = max(1, (n - groups - users) * 3 // 10)
    return {"profile": n - groups - users - topics, "topic": topics, "profile_group": groups,
            "user": users}


def profile_names(count: int) -> list[str]:
    """Profile names (config form) spread over the networks by NETWORK_SHARE."""
    names: list[str] = []
    for i in range(count):
        network = _network_for(i)
        names.append(f"{network}/{_handle(network, i)}")
    return names


def _network_for(i: int) -> str:
    slot = i % 100
    for network, share in NETWORK_SHARE:
        if slot < share:
            return network
        slot -= share
    return "twitter"


def _handle(network: str, i: int) -> str:
    return {"twitter": f"ClaraTw{i:06d}", "facebook": f"claralines.fb{i:06d}",
            "instagram": f"claralines_ig{i:06d}", "whatsapp": f"1555{i:07d}",
            "livechat": f"ClaraLines Web {i:06d}"}[network]


# ----------------------------------------------------------------------------- profile settings

def profile_settings(name: str, i: int, rnd: random.Random) -> dict[str, Any]:
    """Realistic Profile Manager settings of one profile, in config form (flows by name)."""
    network = name.split("/", 1)[0]
    city = CITIES[i % len(CITIES)]
    flows = list(FLOWS)
    rnd.shuffle(flows)
    if network == "twitter":
        return _twitter(i, city, flows, rnd)
    if network == "facebook":
        return _facebook(i, city, flows, rnd)
    if network == "instagram":
        return {"color": PALETTE[i % len(PALETTE)],
                "ice_breakers": [{"question": f"Can you help with {f.lower()}?", "flow": f}
                                 for f in flows[: rnd.randint(1, 4)]]}
    if network == "whatsapp":
        return _whatsapp(i, city, rnd)
    return {"color": PALETTE[i % len(PALETTE)],
            "allowlisted_domains": [f"https://{sub}.claralines.example"
                                    for sub in ("www", "book", "help")[: rnd.randint(1, 3)]],
            "avatar": f"https://cdn.claralines.example/avatars/web{i}.png",
            "send_flow_on_start": "Welcome",
            "quick_replies_on_every_message": [{"label": f"{f} please", "flow": f}
                                               for f in flows[: rnd.randint(1, 3)]]}


def _twitter(i: int, city: str, flows: list[str], rnd: random.Random) -> dict[str, Any]:
    return {
        "color": PALETTE[i % len(PALETTE)],
        "name": f"ClaraLines {city} {i}",
        "url": f"https://claralines.example/{city.lower()}",
        "location": city,
        "bio": f"Official ClaraLines care for {city}. Flights, bags and refunds, 24/7. "
               f"Fares: https://claralines.example/fares/{i}",
        "privacy_policy_url": "https://claralines.example/privacy",
        "welcome_message": f"Hi! Welcome to ClaraLines {city}. How can we help you today?",
        "quick_replies": [{"label": f"Help with {f.lower()}", "flow": f}
                          for f in flows[: rnd.randint(2, 4)]],
    }


def _facebook(i: int, city: str, flows: list[str], rnd: random.Random) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "color": PALETTE[i % len(PALETTE)],
        "privacy_policy_url": "https://claralines.example/privacy",
        "greeting_text": f"Hello from ClaraLines {city}! Ask us about flights and bags.",
    }
    if i % 2:
        settings["ice_breakers"] = [{"question": f"How do I manage {f.lower()}?", "flow": f}
                                    for f in flows[: rnd.randint(2, 4)]]
    else:
        settings["get_started"] = "Welcome"
    settings["persistent_menu"] = [{"label": f"{f} desk", "flow": f}
                                   for f in flows[: rnd.randint(1, 3)]]
    return settings


def _whatsapp(i: int, city: str, rnd: random.Random) -> dict[str, Any]:
    return {
        "about": f"ClaraLines {city}: bookings and changes",
        "avatar_url": f"https://cdn.claralines.example/avatars/wa{i}.jpg",
        "address": f"{i % 300 + 1} Airport Road, {city}",
        "description": f"Message ClaraLines {city} about bookings, baggage and refunds.",
        "email": f"care.{city.lower()}@claralines.example",
        "vertical": "TRAVEL",
        "websites": ["https://claralines.example", f"https://claralines.example/{city.lower()}"]
        [: rnd.randint(1, 2)],
    }


def api_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Config-form settings -> the API's (flow names -> ids, colours lower-cased)."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if key in FLOW_FIELDS_LIST:
            out[key] = [{FLOW_FIELDS_LIST[key]: item[FLOW_FIELDS_LIST[key]],
                         "flow_id": FLOWS[item["flow"]]} for item in value]
        elif key in FLOW_FIELDS_SCALAR:
            out[key] = FLOWS[value]
        elif key == "color":
            out[key] = value.lower()  # the platform's spelling; the diff ignores case
        else:
            out[key] = value
    return out


def change_profile(live: dict[str, Any]) -> None:
    """Make one live profile differ from its config (a drifted colour and one more setting)."""
    live["color"] = "#000000"
    for key in ("welcome_message", "greeting_text", "about"):
        if key in live:
            live[key] = live[key] + " (edited in the web app)"
            return


# ------------------------------------------------------------------- topics, groups, users

def public_pages(n: int) -> list[dict[str, str]]:
    """Competitors' pages that unauthorized streams follow (twitter, facebook, instagram)."""
    pages = []
    for k in range(max(6, n // 200)):
        network = ("twitter", "facebook", "instagram")[k % 3]
        handle = {"twitter": f"RivalAir{k:04d}", "facebook": f"competitorair{k:04d}",
                  "instagram": f"skyrivals_{k:04d}"}[network]
        pages.append({"type": network, "service_id": handle, "displayname": f"Rival {k}"})
    return pages


def topic_streams(profiles: list[str], pages: list[dict[str, str]],
                  rnd: random.Random) -> list[Any]:
    """2-4 streams in config form: owned profiles by name, at most one competitor."""
    count = rnd.randint(2, 4)
    rivals = 1 if rnd.random() < 0.4 else 0
    streams: list[Any] = list(dict.fromkeys(rnd.sample(profiles, count - rivals)))
    if rivals:
        page = rnd.choice(pages)
        streams.append({"profile": f"{page['type']}/{page['service_id']}", "authorized": False})
    return streams


def api_service(stream: Any, cp_ids: dict[str, int]) -> dict[str, Any]:
    """One config stream -> the platform's service entry."""
    name = stream if isinstance(stream, str) else stream["profile"]
    authorized = isinstance(stream, str)
    network, handle = name.split("/", 1)
    return {"type": API_TYPE[network], "service_id": handle, "username": handle,
            "displayname": handle, "authorized": authorized,
            "connectedprofile_id": cp_ids[handle] if authorized else None, "expired": False}


def group_config(g: int, groups: int, profiles: list[str], rnd: random.Random) -> dict[str, Any]:
    members = rnd.sample(profiles, min(len(profiles), rnd.randint(8, 15)))
    nested = [group_name(g + 5)] if g < 5 and g + 5 < groups else []
    return {"color": PALETTE[g % len(PALETTE)], "profiles": members, "groups": nested}


def group_name(g: int) -> str:
    return f"Region {g:02d} {CITIES[g % len(CITIES)]}"


def user_email(u: int) -> str:
    return {0: "ops@claralines.example", 1: "alice@claralines.example"}.get(
        u, f"agent{u:05d}@claralines.example")


def user_links(u: int) -> dict[str, str]:
    links = {"linkedin": f"https://linkedin.com/in/claralines-{u}"}
    if u % 3 == 0:
        links["twitter"] = f"https://twitter.com/clara_agent{u}"
    return links


def fixture_user(u: int, links: dict[str, str]) -> dict[str, Any]:
    user: dict[str, Any] = {"id": u + 1, "email": user_email(u), "name": f"User {u + 1}",
                            "role": "admin" if u < 2 else "agent", "social_links": links}
    if u == 0:
        user["tokens"] = [{"token": ADMIN_TOKEN, "scopes": ["accounts_read", "accounts_write"]}]
    return user


def connected_profiles(profiles: list[str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Personal accounts that administer the owned pages, CP_PAGES pages each: ops (user 1) on
    twitter, facebook and instagram, alice (user 2) on whatsapp and livechat."""
    cps: list[dict[str, Any]] = []
    ids: dict[str, int] = {}
    for k, (network, _) in enumerate(NETWORK_SHARE):
        handles = [p.split("/", 1)[1] for p in profiles if p.startswith(network + "/")]
        for start in range(0, max(1, len(handles)), CP_PAGES):
            cp_id = 10 + len(cps)
            ids.update({h: cp_id for h in handles[start:start + CP_PAGES]})
            cps.append({"id": cp_id, "user": 1 if k < 3 else 2, "type": API_TYPE[network],
                        "service_id": f"9{cp_id:05d}", "name": f"Bench {cp_id} on {network}",
                        "pages": [{"type": API_TYPE[network], "service_id": h, "name": h}
                                  for h in handles[start:start + CP_PAGES]],
                        "missing_permissions": []})
    return cps, ids


# ----------------------------------------------------------------------------- assembly

def build(n: int, *, seed: int = 7, change_ratio: float = 0.01
          ) -> tuple[dict[str, dict[str, Any]], dict[str, Any], dict[str, int]]:
    """(config sections, fixture, stats) for N objects; nothing written."""
    rnd = random.Random(seed)
    counts = split_counts(n)
    names = profile_names(counts["profile"])
    pages = public_pages(n)
    cps, cp_ids = connected_profiles(names)
    config: dict[str, dict[str, Any]] = {
        "profiles": {name: profile_settings(name, i, rnd) for i, name in enumerate(names)},
        "topics": {f"Route {t:06d} Care": _topic(t, names, pages, rnd)
                   for t in range(counts["topic"])},
        "profile_groups": {group_name(g): group_config(g, counts["profile_group"], names, rnd)
                           for g in range(counts["profile_group"])},
        "users": {user_email(u): {"social_links": user_links(u)} for u in range(counts["user"])},
    }
    changed = set(rnd.sample(range(n), max(1, round(n * change_ratio))))
    fixture, stats = _fixture(config, changed, cps, cp_ids, pages)
    stats.update(counts)
    return config, fixture, stats


def _topic(t: int, names: list[str], pages: list[dict[str, str]],
           rnd: random.Random) -> dict[str, Any]:
    topic: dict[str, Any] = {"streams": topic_streams(names, pages, rnd)}
    if t % 3 == 0:
        topic = {"searchkeywords": f'claralines OR "route {t}" OR #clara{t}', **topic}
    return topic


def _fixture(config: dict[str, dict[str, Any]], changed: set[int], cps: list[dict[str, Any]],
             cp_ids: dict[str, int], pages: list[dict[str, str]]
             ) -> tuple[dict[str, Any], dict[str, int]]:
    marks: dict[str, list[bool]] = {}
    offset = 0
    for section in ("profiles", "topics", "profile_groups", "users"):
        marks[section] = [offset + i in changed for i in range(len(config[section]))]
        offset += len(config[section])
    created = sum(1 for t, mark in enumerate(marks["topics"]) if mark and t % 5 == 0)
    fixture = {
        "emulator_fixture": 1,
        "account": {"id": ACCOUNT_ID, "name": "ClaraLines Bench",
                    "features": {"profile_groups": True}},
        "projects": [{"id": 1, "name": "Care"}],
        "users": [fixture_user(u, _live_links(user, mark)) for u, (user, mark)
                  in enumerate(zip(config["users"].values(), marks["users"], strict=True))],
        "connected_profiles": cps,
        "profiles": _live_profiles(config["profiles"], marks["profiles"]),
        "public_pages": pages,
        "flows": [{"id": fid, "name": fname, "enabled": True} for fname, fid in FLOWS.items()],
        "topics": [_live_topic(t, name, topic, mark, cp_ids) for t, ((name, topic), mark)
                   in enumerate(zip(config["topics"].items(), marks["topics"], strict=True))
                   if not (mark and t % 5 == 0)],
        "profile_groups": _live_groups(config["profile_groups"], marks["profile_groups"]),
    }
    changed_count = sum(sum(m) for m in marks.values()) - created
    return fixture, {"changed": changed_count, "created": created}


def _live_profiles(profiles: dict[str, Any], marks: list[bool]) -> list[dict[str, Any]]:
    out = []
    for (name, settings), mark in zip(profiles.items(), marks, strict=True):
        network, handle = name.split("/", 1)
        live = api_settings(settings)
        if mark:
            change_profile(live)
        out.append({"type": API_TYPE[network], "service_id": handle, "displayname": handle,
                    "settings": live})
    return out


def _live_groups(groups: dict[str, Any], marks: list[bool]) -> list[dict[str, Any]]:
    gids = {name: 700 + g for g, name in enumerate(groups)}
    return [{"id": gids[name], "name": name, "color": "#111111" if mark else group["color"],
             "profiles": [dict(zip(("type", "service_id"), _api_name(p), strict=True))
                          for p in group["profiles"]],
             "groups": [{"id": gids[sub]} for sub in group["groups"]]}
            for (name, group), mark in zip(groups.items(), marks, strict=True)]


def _api_name(profile: str) -> tuple[str, str]:
    network, handle = profile.split("/", 1)
    return API_TYPE[network], handle


def _live_links(user: dict[str, Any], mark: bool) -> dict[str, str]:
    links = dict(user["social_links"])
    if mark:
        links["linkedin"] += "-old"
    return links


def _live_topic(t: int, name: str, topic: dict[str, Any], mark: bool,
                cp_ids: dict[str, int]) -> dict[str, Any]:
    services = [api_service(s, cp_ids) for s in topic["streams"]]
    keywords = topic.get("searchkeywords")
    if mark and t % 2:
        services = services[:-1]
    elif mark:
        keywords = f"claralines OR old{t}"
    return {"id": 20000 + t, "name": name, "project_id": 1, "searchkeywords": keywords,
            "services": services}


def generate(n: int, out: Path, *, seed: int = 7, change_ratio: float = 0.01) -> Generated:
    """Write ``out/config/`` and ``out/fixture.json`` for N objects (``out`` is replaced)."""
    config, fixture, stats = build(n, seed=seed, change_ratio=change_ratio)
    config_dir = out / "config"
    if config_dir.exists():
        shutil.rmtree(config_dir)
    files = write_config(config, config_dir, [network for network, _ in NETWORK_SHARE])
    fixture_path = out / "fixture.json"
    fixture_path.write_text(json.dumps(fixture, separators=(",", ":")), encoding="utf-8")
    counts = {k: stats[k] for k in ("profile", "topic", "profile_group", "user")}
    log.info("generated %d objects in %s (%d changed, %d created)", n, out, stats["changed"],
             stats["created"])
    return Generated(config_dir, fixture_path, counts, stats["changed"], stats["created"], files)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("objects", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    generate(args.objects, args.out, seed=args.seed)


if __name__ == "__main__":
    main()
