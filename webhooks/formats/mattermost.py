"""Mattermost: a Slack-compatible incoming webhook (docs/destinations.md, "Mattermost").

POST JSON `text` (Markdown, the event's values escaped), optional `username`, `icon_url`
and `channel` overrides, and the event's card as a message attachment (Mattermost's
Slack-style attachments; it has no Block Kit). Mattermost answers `ok`, or an error as
JSON with its `message`.
"""

import re
from typing import Any
from urllib.parse import urlsplit

from webhooks.formats.base import (
    Answer,
    Format,
    FormatProblem,
    RenderedRequest,
    RenderInput,
    Setting,
    UrlRule,
    Verdict,
    register,
)
from webhooks.formats.messages import (
    CARD_SETTING,
    CHAT_EVENT_TYPES,
    MESSAGE_SETTING,
    Card,
    clip,
    describe,
    escape_markdown,
    message_text,
)
from webhooks.formats.wire import JSON_HEADERS, answer_json, json_body
from webhooks.policy import classify

__all__ = ["MATTERMOST", "POST_MAX"]

POST_MAX = 16383
TONE_COLOURS = {"good": "#2ECC71", "bad": "#E74C3C", "neutral": "#1E325C"}
WEBHOOK_PATH = re.compile(r"(?:/.*)?/hooks/([a-z0-9]+)/?")


def _check_url(url: str) -> str | None:
    if WEBHOOK_PATH.fullmatch(urlsplit(url).path):
        return None
    return (
        "Paste the incoming webhook's URL from Mattermost (Integrations → Incoming "
        "Webhooks): https://your-mattermost/hooks/<id>."
    )


def _secret_parts(url: str) -> tuple[str, ...]:
    match = WEBHOOK_PATH.fullmatch(urlsplit(url).path)
    return (match.group(1),) if match else ()


def _attachment(card: Card, fallback: str) -> dict[str, Any]:
    attachment: dict[str, Any] = {
        "fallback": fallback,
        "color": TONE_COLOURS[card.tone],
        "title": card.title,
    }
    if card.description:
        attachment["text"] = card.description
    fields = [
        {"short": True, "title": name, "value": value} for name, value in card.fields if value
    ]
    if fields:
        attachment["fields"] = fields
    if card.footer:
        attachment["footer"] = card.footer
    return attachment


def _render(given: RenderInput) -> RenderedRequest:
    settings = given.settings
    text = message_text(
        given.event_type, given.payload, settings.get("message", ""), escape_markdown
    )
    if not text:
        raise FormatProblem("The message is empty for this event.", setting="message")
    body: dict[str, Any] = {"text": clip(text, POST_MAX)}
    for name in ("username", "icon_url", "channel"):
        if settings.get(name):
            body[name] = settings[name]
    if settings.get("card"):
        body["attachments"] = [_attachment(describe(given.event_type, given.payload).card, text)]
    return RenderedRequest(method="POST", url=given.url, headers=JSON_HEADERS, body=json_body(body))


def _judge(answer: Answer) -> Verdict | None:
    data = answer_json(answer)
    if 200 <= answer.status < 300 or not isinstance(data, dict) or not data.get("message"):
        return None
    return Verdict(classify(answer.status, None), f"Mattermost: {data['message']}")


MATTERMOST = register(
    Format(
        name="mattermost",
        label="Mattermost",
        event_types=CHAT_EVENT_TYPES,
        settings=(
            MESSAGE_SETTING,
            CARD_SETTING,
            Setting(
                "username",
                "Name",
                help="Shown as the sender (when the server allows webhooks to override it).",
            ),
            Setting("icon_url", "Icon URL", help="An image shown beside the name."),
            Setting(
                "channel",
                "Channel",
                help="Another channel than the webhook's own (its name, e.g. town-square).",
            ),
        ),
        url=UrlRule(
            label="Mattermost webhook URL",
            help="https://your-mattermost/hooks/<id> (the id is masked wherever it is shown).",
            check=_check_url,
            secret_parts=_secret_parts,
        ),
        render=_render,
        judge=_judge,
        help="Posts a message to a Mattermost channel through an incoming webhook.",
    )
)
