"""``scsync export``: the live account as config in the examples/config layout, an empty plan
right after, merges that keep comments, ``--kinds`` and ``--lenient``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scsync.errors import ConfigError, ScsyncError
from scsync.ops.export import export_config
from scsync.ops.export_docs import parse_kinds
from scsync.ops.export_validate import settings_text_for
from scsync.resources import Kind
from tests.test_ops_fixture import EXAMPLE_CONFIG, plan_of, provider_for

SETTINGS = "scsync: 1\nprovider:\n  type: emulator\n"

TWITTER = """\
profiles:
  twitter/ClaraLines:
    color: "#6a1b9a"
    name: ClaraLines
    location: Claraland HQ
    bio: Fly with ClaraLines. https://clarabridge.com/claralines/
    welcome_message: Welcome to ClaraLines! Our team answers within the hour.
  twitter/ClaraLinesDE: {}
  twitter/ClaraLinesHelp:
    color: "#8e24aa"
    name: ClaraLines Help
  twitter/ClaraLinesUK: {}
"""

TOPICS = """\
topics:
  Claralines Care:
    searchkeywords: claralines
    streams:
      - twitter/ClaraLines
      - facebook/claralines
      - {profile: facebook/competitorair, authorized: false}
  Old Campaign:
    searchkeywords: '"summer sale" claralines'
    streams:
      - {profile: twitter/CompetitorAir, authorized: false}
"""


def test_export_writes_the_layout_and_plans_empty(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with provider_for(tmp_path) as provider:
        live = provider.read()
        result = export_config(live, out, settings_text=SETTINGS)
        assert plan_of(out, live, provider) == []
    assert result.written == ["profile_groups.yaml", "profiles/facebook.yaml",
                              "profiles/instagram.yaml", "profiles/livechat.yaml",
                              "profiles/twitter.yaml", "profiles/whatsapp.yaml", "scsync.yaml",
                              "topics.yaml", "users.yaml"]
    assert (out / "profiles" / "twitter.yaml").read_text() == TWITTER
    assert (out / "topics.yaml").read_text() == TOPICS
    assert (out / "users.yaml").read_text() == (
        "users:\n  alice@claralines.example:\n    social_links:\n"
        "      twitter: https://twitter.com/alice\n"
        "      facebook: https://facebook.com/alice.clara\n"
        "  ops@claralines.example:\n    social_links:\n"
        "      linkedin: https://linkedin.com/in/ops\n")
    assert (out / "scsync.yaml").read_text() == SETTINGS
    assert len(result.created) == 14 and result.updated == []


def test_kinds_limit_what_is_written(tmp_path: Path) -> None:
    with provider_for(tmp_path) as provider:
        result = export_config(provider.read(), tmp_path / "out", kinds=parse_kinds("topics"),
                               settings_text=SETTINGS)
    assert result.written == ["scsync.yaml", "topics.yaml"]
    assert parse_kinds("profile_groups, users") == {Kind.PROFILE_GROUP, Kind.USER}
    with pytest.raises(ScsyncError) as caught:
        parse_kinds("topics,flows")
    assert str(caught.value) == ('--kinds: unknown kind "flows"; expected a comma-separated '
                                 "list of profiles, topics, profile_groups, users")


def test_export_into_the_example_config_keeps_comments_and_order(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(EXAMPLE_CONFIG, config)
    with provider_for(tmp_path) as provider:
        live = provider.read()
        result = export_config(live, config)
        planned = plan_of(config, live, provider)
    # Only what export leaves alone differs: objects that are not live, template objects, and
    # the rename that config declares (previous_names), which export keeps.
    assert sorted(planned) == sorted([*result.not_live, *result.in_templates,
                                      "topic.ClaraLines Care"])
    assert result.created == ["topic.Old Campaign", "profile_group.Legacy"]
    assert result.in_templates == ["profile.twitter/ClaraLinesDE", "profile.twitter/ClaraLinesUK"]
    assert result.not_live == ["profile_group.UK", "profile_group.Germany",
                               "profile_group.Messaging", "topic.Competitors",
                               "topic.Service Channels"]
    topics = (config / "topics.yaml").read_text()
    assert topics.startswith(
        "# yaml-language-server: $schema=../../schemas/scsync.schema.json\n"
        "topics:\n"
        "  ClaraLines Care:\n"
        "    previous_names: [Claralines Care]     # renamed, not deleted and re-created\n"
        "    searchkeywords: claralines\n"
        "    streams:                              # the complete set\n"
        "      - twitter/ClaraLines\n"
        "      - facebook/claralines\n"
        "      - {profile: facebook/competitorair, authorized: false}\n"
        "\n"
        "  Competitors:\n")
    assert topics.endswith(
        "      - livechat/ClaraLines Web\n"
        "  Old Campaign:\n"
        "    searchkeywords: '\"summer sale\" claralines'\n"
        "    streams:\n"
        "      - {profile: twitter/CompetitorAir, authorized: false}\n")
    twitter = (config / "profiles" / "twitter.yaml").read_text()
    assert '    color: "#6A1B9A"\n' in twitter  # same colour as live: the config's spelling stays
    assert "    location: Claraland HQ\n    bio: Fly with ClaraLines." in twitter
    assert "    privacy_policy_url: null\n" in twitter
    assert "    lifecycle:\n      ignore_changes: [location]    # the social team edits it" \
        in twitter
    assert "\n\n  twitter/ClaraLinesHelp:\n" in twitter


def test_a_rule_broken_live_fails_the_export_unless_lenient(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with provider_for(tmp_path) as provider:
        live = provider.read()
        # The emulator enforces the rule too; a platform that let this through is simulated.
        whatsapp = next(r for r in live.of_kind(Kind.PROFILE) if r.name.startswith("whatsapp"))
        whatsapp.fields.update(address=None, description=None, vertical=None, about="Care")
        with pytest.raises(ConfigError) as caught:
            export_config(live, out, kinds=frozenset({Kind.PROFILE}), settings_text=SETTINGS)
        assert not out.exists()
        lines = str(caught.value).splitlines()
        assert lines[0] == ("profiles/whatsapp.yaml:2:3: profile.whatsapp/15551230000 address: "
                            "address is required on every WhatsApp profile")
        assert lines[-1] == ("the live account breaks these rules, so nothing was written; "
                             "rerun with --lenient to export it anyway with each such value "
                             "marked by a comment")
        result = export_config(live, out, kinds=frozenset({Kind.PROFILE}), lenient=True,
                               settings_text=SETTINGS)
    assert [str(p) for p in result.kept_problems] == [
        f"profiles/whatsapp.yaml:2:3: profile.whatsapp/15551230000 {field}: {field} is required "
        "on every WhatsApp profile" for field in ("address", "description", "vertical")]
    text = (out / "profiles" / "whatsapp.yaml").read_text()
    assert text.startswith("profiles:\n  whatsapp/15551230000:  # scsync export --lenient kept "
                           "the live value; it breaks a rule: ")
    assert text.endswith("address is required on every WhatsApp profile; description is required "
                         "on every WhatsApp profile; vertical is required on every WhatsApp "
                         "profile\n    about: Care\n")


def test_settings_for_a_new_directory_point_at_the_same_emulator(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "scsync.yaml").write_text(
        "scsync: 1\nprovider:\n  type: emulator   # local\n  path: .scsync/p.db\n"
        "  fixture: ../fx.yaml\n")
    text = settings_text_for(source, tmp_path / "a" / "b")
    assert text == ("scsync: 1\nprovider:\n  type: emulator   # local\n"
                    "  path: ../../src/.scsync/p.db\n  fixture: ../../fx.yaml\n")
