"""Profile Manager settings, one model per network (domain.md, "Profile Manager settings").

Every field is optional and absent means unmanaged; an explicit ``null`` or ``[]`` clears the
setting. Limits live in ``Field`` constraints (so the JSON Schema shows them); rules between
fields live in ``problems()``.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from scsync.config.model_common import (
    Colour,
    CustomProfile,
    Email,
    FlowButton,
    FlowName,
    IceBreaker,
    Lifecycle,
    NonBlank,
    Strict,
    Text,
    Url,
    any_case,
    fail,
    in_schema,
    requires,
    when_set,
)
from scsync.profile_rules import offline_problems, rules_of

TCO_LENGTH = 23
BIO_LIMIT = 160
_BIO_URL = re.compile(r"https?://\S+", re.IGNORECASE)
VERTICALS = ("AUTO", "BEAUTY", "APPAREL", "EDU", "ENTERTAIN", "EVENT_PLAN", "FINANCE", "GROCERY",
             "GOVT", "HOTEL", "HEALTH", "NONPROFIT", "PROF_SERVICES", "RETAIL", "TRAVEL",
             "RESTAURANT", "OTHER")


def bio_length(bio: str) -> int:
    """The length Twitter counts: code points, every URL counted as a t.co link (23)."""
    urls = _BIO_URL.findall(bio)
    return len(_BIO_URL.sub("", bio)) + TCO_LENGTH * len(urls)


def _bio(value: str) -> str:
    length = bio_length(value)
    if length > BIO_LIMIT:
        raise fail(f"bio is {length} characters; Twitter allows {BIO_LIMIT}")
    return value


def _vertical(value: object) -> object:
    if isinstance(value, str) and value.upper() not in VERTICALS:
        raise fail(f'"{value}" is not a WhatsApp Business vertical; use one of '
                   f'{", ".join(VERTICALS)}')
    return value


def _jpeg(value: str) -> str:
    if not value.lower().endswith((".jpg", ".jpeg")):
        raise fail("the WhatsApp avatar must be a URL ending in .jpg or .jpeg (nothing after "
                   "it, not even a query string)")
    return value


Bio = Annotated[str, AfterValidator(_bio)]
Vertical = Annotated[str, BeforeValidator(_vertical), in_schema(pattern=any_case(VERTICALS))]
AvatarJpeg = Annotated[Url, AfterValidator(_jpeg),
                       in_schema(allOf=[{"pattern": r"^[^?]*\.[Jj][Pp][Ee]?[Gg](?:\?.*)?$"}])]
Website = Annotated[Url, Field(max_length=256)]
"""A WhatsApp website or a Live Chat allowed domain: the platform stores at most 256
characters."""
# The field types are named here, not spelt out in each annotation: pydantic evaluates every
# annotation's text when it creates a model class, and a name costs a fraction of an expression.
QuickReplies = Annotated[list[FlowButton], Field(max_length=5)]
Buttons = Annotated[list[FlowButton], Field(max_length=3)]
"""Persistent menu buttons, quick replies of a Live Chat widget."""
FacebookIceBreakers = Annotated[list[IceBreaker], Field(max_length=6)]
InstagramIceBreakers = Annotated[list[IceBreaker], Field(max_length=4)]
BusinessText = Annotated[NonBlank, Field(max_length=256)]
BusinessEmail = Annotated[Email, Field(max_length=128)]
Websites = Annotated[list[Website], Field(max_length=2)]


class ProfileBase(Strict):
    """Settings every network's profile has."""

    network_title: ClassVar[str] = ""
    network: ClassVar[str] = ""
    color: Colour | None = None
    """The in-app profile colour, a quoted hex colour such as "#6A1B9A"."""
    lifecycle: Lifecycle | None = None
    """Fields scsync leaves alone on this profile."""

    def problems(self) -> list[tuple[str, str]]:
        """The rules between two fields (``profile_rules``), on the config alone."""
        rules = rules_of(self.network)
        if not rules:
            return []
        given = self.model_fields_set
        fields = {name: getattr(self, name) for rule in rules for name in (rule.field, rule.other)
                  if name in given}
        return offline_problems(self.network, fields)


class TwitterProfile(ProfileBase):
    """Profile Manager settings of a Twitter profile (``twitter/SCREEN_NAME``)."""

    model_config = ConfigDict(json_schema_extra={"allOf": [  # the rules of ``problems``
        when_set({"quick_replies": "array"}, requires({"welcome_message": "string"})),
        when_set({"custom_profiles": "array"},
                 requires({"accept_custom_profile_terms": "true", "privacy_policy_url": "string"})),
    ]})

    network_title: ClassVar[str] = "Twitter"
    network: ClassVar[str] = "twitter"
    name: Text | None = None
    """The display name."""
    url: Url | None = None
    """The website shown on the profile."""
    location: Text | None = None
    """The location shown on the profile."""
    bio: Bio | None = None
    """At most 160 characters, every URL counted as a 23-character t.co link."""
    privacy_policy_url: Url | None = None
    """Required to use custom profiles and the NPS/CSAT features."""
    welcome_message: Text | None = None
    """Shown to a customer who direct-messages the profile; quick replies need one."""
    quick_replies: QuickReplies | None = None
    """At most 5 buttons offered with the welcome message, each a label and a flow."""
    quick_replies_on_every_message: list[FlowButton] | None = None
    """Quick replies attached to every outgoing message."""
    custom_profiles: list[CustomProfile] | None = None
    """Per-agent name and avatar; needs accept_custom_profile_terms and privacy_policy_url."""
    accept_custom_profile_terms: bool | None = None
    """Accept the custom-profile terms (required to create custom profiles)."""


class FacebookProfile(ProfileBase):
    """Profile Manager settings of a Facebook page (``facebook/USERNAME`` or numeric page id)."""

    model_config = ConfigDict(json_schema_extra={"allOf": [  # the rules of ``problems``
        when_set({"ice_breakers": "array", "get_started": "string"}, False),
        *(when_set({"case_creation_rules": "true", name: kind}, False) for name, kind in
          (("ice_breakers", "array"), ("get_started", "string"), ("persistent_menu", "array"))),
    ]})

    network_title: ClassVar[str] = "Facebook"
    network: ClassVar[str] = "facebook"
    privacy_policy_url: Url | None = None
    """The page's privacy policy URL."""
    greeting_text: Text | None = None
    """The Messenger greeting shown before a conversation starts."""
    ice_breakers: FacebookIceBreakers | None = None
    """At most 6 questions, each starting a flow; cannot be combined with get_started."""
    get_started: FlowName | None = None
    """The flow started by the Get Started button."""
    persistent_menu: Buttons | None = None
    """At most 3 menu buttons, each a label and a flow."""
    case_creation_rules: bool | None = None
    """Automatic case creation (sends a flow on every new case)."""


class InstagramProfile(ProfileBase):
    """Profile Manager settings of an Instagram profile (``instagram/USERNAME``)."""

    network_title: ClassVar[str] = "Instagram"
    network: ClassVar[str] = "instagram"
    ice_breakers: InstagramIceBreakers | None = None
    """At most 4 questions, each starting a flow."""


class WhatsappProfile(ProfileBase):
    """Profile Manager settings of a WhatsApp number (``whatsapp/DIGITS``, E.164 without +)."""

    network_title: ClassVar[str] = "WhatsApp"
    network: ClassVar[str] = "whatsapp"
    about: Text | None = None
    """The About text."""
    avatar_url: AvatarJpeg | None = None
    """A .jpg or .jpeg image URL (640x640, at most 63 KB recommended)."""
    address: BusinessText
    """Required: the business address, at most 256 characters."""
    description: BusinessText
    """Required: the business description, at most 256 characters."""
    email: BusinessEmail | None = None
    """The business e-mail address, at most 128 characters."""
    vertical: Vertical
    """Required: the WhatsApp Business industry code (AUTO, TRAVEL, ...; any letter case)."""
    websites: Websites | None = None
    """At most 2 website URLs of at most 256 characters each."""


class LivechatProfile(ProfileBase):
    """Profile Manager settings of a Live Chat widget (``livechat/WIDGET NAME``)."""

    network_title: ClassVar[str] = "Live Chat"
    network: ClassVar[str] = "livechat"
    allowlisted_domains: list[Website] | None = None
    """Full URLs allowed to start the widget (a set); empty allows any domain."""
    avatar: Url | None = None
    """The widget's avatar image URL."""
    send_flow_on_start: FlowName | None = None
    """The flow sent when a chat starts."""
    quick_replies_on_every_message: Buttons | None = None
    """At most 3 quick replies attached to every outgoing message."""


PROFILE_MODELS: dict[str, type[ProfileBase]] = {
    "twitter": TwitterProfile,
    "facebook": FacebookProfile,
    "instagram": InstagramProfile,
    "whatsapp": WhatsappProfile,
    "livechat": LivechatProfile,
}
Network = Literal["twitter", "facebook", "instagram", "whatsapp", "livechat"]
