"""Destination formats: how a webhook's events are put to the receiver (the native JSON,
Discord, Slack…), one small module per service, registered here (webhooks.formats.base
says what a format declares). docs/destinations.md has each service's rules.
"""

from importlib import import_module

from webhooks.formats.base import (
    Answer,
    Format,
    FormatProblem,
    RenderedRequest,
    RenderInput,
    Setting,
    UrlRule,
    Verdict,
    choices,
    get,
    register,
    registered,
)

__all__ = [
    "Answer",
    "Format",
    "FormatProblem",
    "RenderInput",
    "RenderedRequest",
    "Setting",
    "UrlRule",
    "Verdict",
    "choices",
    "get",
    "register",
    "registered",
]

# Each module registers its format; this order is the order of the admin's choices.
MODULES = ("native", "discord", "slack", "mattermost", "telegram", "mastodon", "tunein", "template")
for module in MODULES:
    import_module(f"webhooks.formats.{module}")
