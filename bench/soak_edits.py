"""The soak's desired state and its random edits: the ClaraLines example config as plain data
(``Desired``), one seeded random edit per cycle (a profile setting, a topic added, removed or
renamed, streams, group members, a group added, removed or renamed, a user link), and the config
directory written from it (``write_config``).

Every edit keeps the config valid (the rules of domain.md) and never deletes a protected object,
so a cycle's apply can only fail on the faults the soak injects.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench import ROOT

EXAMPLE = ROOT / "examples" / "config"
PROTECTED = ("topic.ClaraLines Care", "profile_group.EMEA")
FLOWS = ("Refund", "CSAT", "Baggage", "Booking", "Welcome")  # enabled flows of the fixture
OWNED = ("twitter/ClaraLines", "twitter/ClaraLinesHelp", "twitter/ClaraLinesUK",
         "twitter/ClaraLinesDE", "facebook/claralines", "instagram/claralines",
         "whatsapp/15551230000", "livechat/ClaraLines Web")
PUBLIC = ("twitter/CompetitorAir", "facebook/competitorair", "instagram/skyrivals")
LINKS = ("twitter", "facebook", "linkedin", "instagram")
MAX_GROUPS = 12  # below the platform's 20
KINDS = ("profiles", "topics", "profile_groups", "users")
Data = dict[str, Any]


@dataclass
class Desired:
    """The config as data: ``{kind: {name: object}}`` plus a counter for fresh names."""

    objects: dict[str, dict[str, Data]]
    serial: int = 0
    history: list[str] = field(default_factory=list)

    def fresh(self, stem: str) -> str:
        self.serial += 1
        return f"{stem} {self.serial}"

    def copy(self) -> Desired:
        return Desired(copy.deepcopy(self.objects), self.serial, list(self.history))


def example_desired() -> Desired:
    """The example config's objects (its ``.yaml`` files; the ``.yaml.j2`` template left out)."""
    objects: dict[str, dict[str, Data]] = {kind: {} for kind in KINDS}
    for path in sorted(EXAMPLE.rglob("*.yaml")):
        if path.name == "scsync.yaml":
            continue
        for kind, items in (yaml.safe_load(path.read_text()) or {}).items():
            objects[kind].update(items)
    return Desired(objects)


def write_config(root: Path, desired: Desired, *, base_url: str, account_id: int = 1001) -> None:
    """``root/scsync.yaml`` (the socialconnect provider at ``base_url``, token by reference) and
    one file per kind."""
    root.mkdir(parents=True, exist_ok=True)
    settings = {
        "scsync": 1,
        "provider": {"type": "socialconnect", "base_url": base_url, "account_id": account_id,
                     "token": "${env:SCSYNC_TOKEN}"},
        "ownership": {"topics": "authoritative", "profile_groups": "authoritative"},
        "protect": list(PROTECTED),
        "safety": {"max_update_ratio": 1.0, "max_delete_ratio": 1.0, "min_existing": 10},
    }
    _dump(root / "scsync.yaml", settings)
    for kind in KINDS:
        _dump(root / f"{kind}.yaml", {kind: desired.objects[kind]})


def _dump(path: Path, data: Data) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000))


def ignored(obj: Data) -> set[str]:
    """The fields an object's ``lifecycle.ignore_changes`` leaves alone."""
    return set((obj.get("lifecycle") or {}).get("ignore_changes") or [])


# --- the edits: each takes (rng, desired) and returns what it did, or None when it cannot ---

Edit = Callable[[random.Random, Desired], str | None]


def _colour(rng: random.Random) -> str:
    text = f"#{rng.randrange(0x1000000):06X}"
    return text if rng.random() < 0.5 else text.lower()  # colours compare case-insensitively


def _flow_items(rng: random.Random, key: str, most: int) -> list[Data]:
    flows = rng.sample(FLOWS, rng.randint(1, most))
    return [{key: f"{key.title()} {flow.lower()}", "flow": flow} for flow in flows]


def _pick(rng: random.Random, names: Any, skip: tuple[str, ...] = ()) -> str | None:
    choices = sorted(n for n in names if n not in skip)
    return rng.choice(choices) if choices else None


def edit_profile_colour(rng: random.Random, d: Desired) -> str | None:
    name = _pick(rng, d.objects["profiles"])
    if name is None:
        return None
    d.objects["profiles"][name]["color"] = _colour(rng)
    return f"profile.{name} color"


def _text_field(network: str, serial: int) -> tuple[str, Any]:
    options: dict[str, list[tuple[str, Any]]] = {
        "twitter": [("welcome_message", f"Hello! Soak edit {serial}: how can we help?"),
                    ("bio", f"Soak bio {serial}. Help 24/7. "
                            f"https://clarabridge.com/claralines/soak/{serial}/"),
                    ("name", f"ClaraLines {serial}")],
        "facebook": [("greeting_text", f"Welcome to ClaraLines (soak edit {serial}).")],
        "instagram": [("color", "#00897B")],
        "whatsapp": [("about", f"ClaraLines care, soak {serial}"),
                     ("description", f"The official WhatsApp of ClaraLines, edit {serial}.")],
        "livechat": [("avatar", f"https://clarabridge.com/claralines/avatar-{serial}.png")],
    }
    return options[network][serial % len(options[network])]


def edit_profile_text(rng: random.Random, d: Desired) -> str | None:
    name = _pick(rng, d.objects["profiles"])
    if name is None:
        return None
    d.serial += 1
    key, value = _text_field(name.partition("/")[0], d.serial)
    if key in ignored(d.objects["profiles"][name]):
        return None
    d.objects["profiles"][name][key] = value
    return f"profile.{name} {key}"


def _list_field(rng: random.Random, network: str, obj: Data) -> tuple[str, Any] | None:
    if network == "twitter" and obj.get("welcome_message"):
        return "quick_replies", _flow_items(rng, "label", 5)
    if network == "facebook":
        return "ice_breakers", _flow_items(rng, "question", 6)
    if network == "instagram":
        return "ice_breakers", _flow_items(rng, "question", 4)
    if network == "livechat":
        domains = ["https://clarabridge.com", "https://www.claralines.example",
                   "https://help.claralines.example", "https://book.claralines.example"]
        return "allowlisted_domains", rng.sample(domains, rng.randint(0, 3))
    if network == "whatsapp":
        sites = [f"https://clarabridge.com/claralines/{p}" for p in ("", "help", "book", "fly")]
        return "websites", rng.sample(sites, rng.randint(1, 2))
    return None


def edit_profile_list(rng: random.Random, d: Desired) -> str | None:
    name = _pick(rng, d.objects["profiles"])
    if name is None:
        return None
    picked = _list_field(rng, name.partition("/")[0], d.objects["profiles"][name])
    if picked is None:
        return None
    d.objects["profiles"][name][picked[0]] = picked[1]
    return f"profile.{name} {picked[0]}"


def _streams(rng: random.Random) -> list[Any]:
    pool: list[Any] = [*OWNED, *({"profile": p, "authorized": False} for p in PUBLIC)]
    return rng.sample(pool, rng.randint(1, 3))


def edit_topic_add(rng: random.Random, d: Desired) -> str | None:
    name = d.fresh("Soak Topic")
    topic: Data = {"streams": _streams(rng)}
    if rng.random() < 0.5:
        topic["searchkeywords"] = f'claralines OR "soak {d.serial}"'
    d.objects["topics"][name] = topic
    return f"topic.{name} added"


def _unprotected(d: Desired, kind: str, prefix: str) -> list[str]:
    return [n for n in d.objects[kind] if f"{prefix}.{n}" not in PROTECTED]


def edit_topic_remove(rng: random.Random, d: Desired) -> str | None:
    name = _pick(rng, _unprotected(d, "topics", "topic"))
    if name is None:
        return None
    del d.objects["topics"][name]
    return f"topic.{name} removed"


def _rename(d: Desired, kind: str, old: str, new: str) -> None:
    obj = d.objects[kind].pop(old)
    obj["previous_names"] = [*obj.get("previous_names", [])[-1:], old]
    d.objects[kind][new] = obj


def edit_topic_rename(rng: random.Random, d: Desired) -> str | None:
    old = _pick(rng, _unprotected(d, "topics", "topic"))
    if old is None:
        return None
    new = d.fresh(old.split(" r")[0] + " r")
    _rename(d, "topics", old, new)
    return f"topic.{old} renamed to {new}"


def edit_streams(rng: random.Random, d: Desired) -> str | None:
    name = _pick(rng, d.objects["topics"])
    if name is None:
        return None
    topic = d.objects["topics"][name]
    current = topic.get("streams", [])
    taken = {s if isinstance(s, str) else s["profile"] for s in current}
    extra = [s for s in _streams(rng) if (s if isinstance(s, str) else s["profile"]) not in taken]
    if len(current) > 1 and (rng.random() < 0.5 or not extra):
        current.pop(rng.randrange(len(current)))
        topic["streams"] = current
        return f"topic.{name} streams (one removed)"
    if not extra:
        return None
    topic["streams"] = [*current, extra[0]]
    return f"topic.{name} streams (one added)"


def edit_topic_keywords(rng: random.Random, d: Desired) -> str | None:
    name = _pick(rng, d.objects["topics"])
    if name is None or "searchkeywords" in ignored(d.objects["topics"][name]):
        return None
    d.serial += 1
    d.objects["topics"][name]["searchkeywords"] = f'claralines OR "edit {d.serial}"'
    return f"topic.{name} searchkeywords"


def edit_group_members(rng: random.Random, d: Desired) -> str | None:
    name = _pick(rng, d.objects["profile_groups"])
    if name is None:
        return None
    d.objects["profile_groups"][name]["profiles"] = rng.sample(OWNED, rng.randint(1, 4))
    return f"profile_group.{name} profiles"


def edit_group_colour(rng: random.Random, d: Desired) -> str | None:
    name = _pick(rng, d.objects["profile_groups"])
    if name is None:
        return None
    d.objects["profile_groups"][name]["color"] = _colour(rng)
    return f"profile_group.{name} color"


def edit_group_add(rng: random.Random, d: Desired) -> str | None:
    groups = d.objects["profile_groups"]
    if len(groups) >= MAX_GROUPS:
        return None
    name = d.fresh("Soak Group")
    group: Data = {"color": _colour(rng), "profiles": rng.sample(OWNED, rng.randint(1, 3))}
    leaves = sorted(n for n, g in groups.items() if not g.get("groups"))
    if leaves and rng.random() < 0.5:
        group["groups"] = [rng.choice(leaves)]  # only leaves: edits never make a cycle
    groups[name] = group
    return f"profile_group.{name} added"


def edit_group_remove(rng: random.Random, d: Desired) -> str | None:
    name = _pick(rng, _unprotected(d, "profile_groups", "profile_group"))
    if name is None:
        return None
    del d.objects["profile_groups"][name]
    for group in d.objects["profile_groups"].values():
        if name in group.get("groups", []):
            group["groups"] = [g for g in group["groups"] if g != name]
    return f"profile_group.{name} removed"


def edit_group_rename(rng: random.Random, d: Desired) -> str | None:
    old = _pick(rng, _unprotected(d, "profile_groups", "profile_group"))
    if old is None:
        return None
    new = d.fresh(old.split(" r")[0] + " r")
    _rename(d, "profile_groups", old, new)
    for group in d.objects["profile_groups"].values():
        group["groups"] = [new if g == old else g for g in group.get("groups", [])]
    return f"profile_group.{old} renamed to {new}"


def edit_user_link(rng: random.Random, d: Desired) -> str | None:
    email = _pick(rng, d.objects["users"])
    if email is None:
        return None
    user = d.objects["users"][email]
    network = rng.choice(LINKS)
    if f"social_links.{network}" in ignored(user):
        return None
    d.serial += 1
    value = None if rng.random() < 0.25 else f"https://{network}.com/soak{d.serial}"
    user.setdefault("social_links", {})[network] = value
    return f"user.{email} social_links.{network}"


EDITS: tuple[Edit, ...] = (
    edit_profile_colour, edit_profile_text, edit_profile_list, edit_topic_add,
    edit_topic_remove, edit_topic_rename, edit_streams, edit_topic_keywords,
    edit_group_members, edit_group_colour, edit_group_add, edit_group_remove,
    edit_group_rename, edit_user_link,
)


def random_edits(rng: random.Random, d: Desired, count: int) -> list[str]:
    """Apply ``count`` random applicable edits to ``d``; what each did, in order."""
    done: list[str] = []
    while len(done) < count:
        what = rng.choice(EDITS)(rng, d)
        if what is not None:
            done.append(what)
    d.history.extend(done)
    return done
