"""Telegram: the Bot API's `sendMessage` (docs/destinations.md, "Telegram").

POST `<WEBHOOKS_TELEGRAM_API_URL>/bot<token>/sendMessage` with JSON `chat_id`, `text` (at
most 4,096 characters), an optional `parse_mode` (the event's values are escaped for it)
and `disable_notification`. The bot token is a secret: stored encrypted, masked in the
URL wherever it is shown. Telegram answers `{"ok": true, "result": …}` or `{"ok": false,
"error_code": …, "description": …}` (with `parameters.retry_after` on 429); an `ok: false`
is a failure whatever the HTTP status.
"""

import html
import re

from webhooks.formats.base import (
    Answer,
    Format,
    FormatProblem,
    RenderedRequest,
    RenderInput,
    Setting,
    Verdict,
    register,
)
from webhooks.formats.messages import CHAT_EVENT_TYPES, MESSAGE_SETTING, clip, message_text
from webhooks.formats.wire import JSON_HEADERS, answer_json, json_body
from webhooks.policy import Outcome, classify

__all__ = ["TELEGRAM", "TEXT_MAX"]

TEXT_MAX = 4096
TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
CHAT_ID = re.compile(r"-?\d+|@[A-Za-z][A-Za-z0-9_]{3,}")
MARKDOWN_V2 = re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])")
ESCAPES = {
    "": str,
    "HTML": lambda text: html.escape(text, quote=False),
    "MarkdownV2": lambda text: MARKDOWN_V2.sub(r"\\\1", text),
}


def _render(given: RenderInput) -> RenderedRequest:
    settings = given.settings
    token = settings.get("bot_token", "")
    if not TOKEN.fullmatch(token):
        raise FormatProblem(
            "A bot token looks like 123456789:AAE… (from @BotFather).", setting="bot_token"
        )
    chat_id = str(settings.get("chat_id", "")).strip()
    if not CHAT_ID.fullmatch(chat_id):
        raise FormatProblem(
            "A chat id is a number (-100… for a group or channel) or @channelname.",
            setting="chat_id",
        )
    parse_mode = settings.get("parse_mode", "")
    text = message_text(
        given.event_type, given.payload, settings.get("message", ""), ESCAPES[parse_mode]
    )
    if not text:
        raise FormatProblem("The message is empty for this event.", setting="message")
    body: dict = {
        "chat_id": chat_id if chat_id.startswith("@") else int(chat_id),
        "text": clip(text, TEXT_MAX),
    }
    if parse_mode:
        body["parse_mode"] = parse_mode
    if settings.get("silent"):
        body["disable_notification"] = True
    return RenderedRequest(
        method="POST",
        url=f"{given.url.rstrip('/')}/bot{token}/sendMessage",
        headers=JSON_HEADERS,
        body=json_body(body),
    )


def _judge(answer: Answer) -> Verdict | None:
    data = answer_json(answer)
    if not isinstance(data, dict) or data.get("ok") is not False:
        return None
    code = data.get("error_code")
    code = code if isinstance(code, int) and not 200 <= code < 300 else answer.status
    reason = f"Telegram: {data.get('description') or f'error {code}'}"
    if code == 429:
        retry_after = (data.get("parameters") or {}).get("retry_after")
        wait = float(retry_after) if isinstance(retry_after, int | float) else None
        return Verdict(Outcome.RETRYABLE, reason, wait)
    outcome = Outcome.FAILED if 200 <= code < 300 else classify(code, None)
    return Verdict(outcome, reason)


TELEGRAM = register(
    Format(
        name="telegram",
        label="Telegram",
        event_types=CHAT_EVENT_TYPES,
        settings=(
            Setting(
                "bot_token",
                "Bot token",
                kind="secret",
                required=True,
                help="From @BotFather (123456789:AAE…). Encrypted at rest, never shown again.",
            ),
            Setting(
                "chat_id",
                "Chat id",
                required=True,
                help="The chat, group or channel: its number (-100… for groups and "
                "channels) or @channelname. The bot must be a member.",
            ),
            MESSAGE_SETTING,
            Setting(
                "parse_mode",
                "Formatting",
                kind="choice",
                choices=(("", "Plain text"), ("HTML", "HTML"), ("MarkdownV2", "MarkdownV2")),
                help="How Telegram reads the message's markup; the event's values are "
                "escaped for it.",
            ),
            Setting("silent", "Silent", kind="flag", help="Deliver without a notification sound."),
        ),
        url=None,
        service_url_setting="WEBHOOKS_TELEGRAM_API_URL",
        render=_render,
        judge=_judge,
        help="Sends a message to a Telegram chat, group or channel through a bot.",
    )
)
