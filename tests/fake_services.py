"""Local fakes of the services webhooks post to, on pytest-httpserver (127.0.0.1).

Each checks a request the way the service's public documentation says it does (method,
path, content type, required fields, limits, credentials), answers as the service does,
errors included, and keeps what it accepted (`accepted`: the parsed requests) and what it
refused (`refused`: the reasons). `answer_next(response)` makes it give a canned answer
to the next request (a rate limit, an outage). docs/destinations.md lists the rules.
"""

import json
import math
import re

from werkzeug import Request, Response

__all__ = [
    "FakeDiscord",
    "FakeMastodon",
    "FakeMattermost",
    "FakeService",
    "FakeSlack",
    "FakeTelegram",
    "FakeTuneIn",
]


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data), status, headers, content_type="application/json")


class FakeService:
    path = re.compile(".*")
    method = "POST"

    def __init__(self, httpserver) -> None:
        self.httpserver = httpserver
        self.accepted: list = []
        self.refused: list[str] = []
        self._canned: list[Response] = []
        httpserver.expect_request(self.path, method=self.method).respond_with_handler(self._handle)

    def answer_next(self, response: Response) -> None:
        self._canned.append(response)

    def _handle(self, request: Request) -> Response:
        if self._canned:
            return self._canned.pop(0)
        return self.answer(request)

    def refuse(self, reason: str, response: Response) -> Response:
        self.refused.append(reason)
        return response

    def answer(self, request: Request) -> Response:
        raise NotImplementedError


# --- Discord: execute webhook ---------------------------------------------------------


class FakeDiscord(FakeService):
    """`POST /api/webhooks/{id}/{token}[?wait=true]`, JSON: `content` (≤ 2,000), or
    `embeds` (≤ 10; title 256, description 4,096, ≤ 25 fields of name 256 and value
    1,024, footer 2,048, author 256, 6,000 in all); `username` 1–80 without "discord" or
    "clyde". 204 without `wait`, 200 and the created message with it; errors as JSON
    `{"message", "code"}`; `rate_limit_next()` answers 429 with `retry_after`."""

    path = re.compile(r"^/api/webhooks/(\d+)/([^/]+)$")
    webhook_id, token = "112233445566778899", "tok-ABCdef_123-xyz"

    @property
    def url(self) -> str:
        return self.httpserver.url_for(f"/api/webhooks/{self.webhook_id}/{self.token}")

    def rate_limit_next(self, retry_after_s: float) -> None:
        self.answer_next(
            json_response(
                {
                    "message": "You are being rate limited.",
                    "retry_after": retry_after_s,
                    "global": False,
                },
                429,
                {"Retry-After": str(math.ceil(retry_after_s)), "X-RateLimit-Scope": "user"},
            )
        )

    def _invalid(self, errors: dict) -> Response:
        return self.refuse(
            f"invalid form body: {errors}",
            json_response({"code": 50035, "errors": errors, "message": "Invalid Form Body"}, 400),
        )

    def answer(self, request: Request) -> Response:
        webhook_id, token = self.path.match(request.path).groups()
        if webhook_id != self.webhook_id:
            return self.refuse(
                "unknown webhook", json_response({"message": "Unknown Webhook", "code": 10015}, 404)
            )
        if token != self.token:
            return self.refuse(
                "bad token", json_response({"message": "Invalid Webhook Token", "code": 50027}, 401)
            )
        if request.mimetype != "application/json":
            return self.refuse(
                "not JSON",
                json_response({"message": "Cannot send an empty message", "code": 50006}, 400),
            )
        try:
            message = json.loads(request.get_data())
        except ValueError:
            return self.refuse(
                "invalid JSON",
                json_response(
                    {"message": "The request body contains invalid JSON.", "code": 50109}, 400
                ),
            )
        errors = self._form_errors(message)
        if errors:
            return self._invalid(errors)
        if not message.get("content") and not message.get("embeds"):
            return self.refuse(
                "empty",
                json_response({"message": "Cannot send an empty message", "code": 50006}, 400),
            )
        self.accepted.append(message)
        if request.args.get("wait") != "true":
            return Response(status=204)
        return json_response(
            {
                "id": str(1_000_000 + len(self.accepted)),
                "type": 0,
                "channel_id": "998877",
                "webhook_id": self.webhook_id,
                "author": {
                    "id": self.webhook_id,
                    "username": message.get("username", "Hook"),
                    "bot": True,
                },
                "content": message.get("content", ""),
                "embeds": message.get("embeds", []),
            }
        )

    def _form_errors(self, message: dict) -> dict:
        errors = {}
        if len(message.get("content") or "") > 2000:
            errors["content"] = "Must be 2000 or fewer in length."
        if "username" in message:
            name = message["username"]
            if not 1 <= len(name) <= 80:
                errors["username"] = "Must be between 1 and 80 in length."
            elif "discord" in name.lower() or "clyde" in name.lower():
                errors["username"] = 'Username cannot contain "discord" or "clyde".'
        embeds = message.get("embeds") or []
        if len(embeds) > 10:
            errors["embeds"] = "Must be 10 or fewer in length."
        total = 0
        for index, embed in enumerate(embeds[:10]):
            limits = [
                ("title", embed.get("title", ""), 256),
                ("description", embed.get("description", ""), 4096),
                ("footer.text", embed.get("footer", {}).get("text", ""), 2048),
                ("author.name", embed.get("author", {}).get("name", ""), 256),
            ]
            fields = embed.get("fields", [])
            if len(fields) > 25:
                errors[f"embeds.{index}.fields"] = "Must be 25 or fewer in length."
            for number, item in enumerate(fields):
                if not item.get("name") or not item.get("value"):
                    errors[f"embeds.{index}.fields.{number}"] = "This field is required"
                limits += [
                    (f"fields.{number}.name", item.get("name", ""), 256),
                    (f"fields.{number}.value", item.get("value", ""), 1024),
                ]
            for name, text, limit in limits:
                if len(text) > limit:
                    errors[f"embeds.{index}.{name}"] = f"Must be {limit} or fewer in length."
                total += len(text)
        if total > 6000:
            errors["embeds"] = "Embed size exceeds maximum size of 6000"
        return errors


# --- Slack: incoming webhook ------------------------------------------------------------


class FakeSlack(FakeService):
    """`POST /services/T…/B…/…`, JSON with `text` (or `blocks`); a section's text at most
    3,000 characters, at most 10 fields of 2,000. Answers `ok`, or an error code as plain
    text: 400 `invalid_payload` / `no_text` / `invalid_blocks`, 403 `invalid_token`, 404
    `no_service`, 410 `channel_is_archived` (`archived = True`)."""

    path = re.compile(r"^/services/(T[A-Z0-9]+)/(B[A-Z0-9]+)/([A-Za-z0-9]+)$")
    token = "xoxAbC123secret"
    archived = False

    @property
    def url(self) -> str:
        return self.httpserver.url_for(f"/services/T0001/B0002/{self.token}")

    def _error(self, status: int, code: str) -> Response:
        return self.refuse(code, Response(code, status, content_type="text/plain"))

    def answer(self, request: Request) -> Response:
        if self.path.match(request.path).group(3) != self.token:
            return self._error(403, "invalid_token")
        if self.archived:
            return self._error(410, "channel_is_archived")
        if request.mimetype != "application/json":
            return self._error(400, "invalid_payload")
        try:
            message = json.loads(request.get_data())
        except ValueError:
            return self._error(400, "invalid_payload")
        if not message.get("text") and not message.get("blocks"):
            return self._error(400, "no_text")
        for block in message.get("blocks", []):
            fields = block.get("fields", [])
            if (
                len(block.get("text", {}).get("text", "")) > 3000
                or len(fields) > 10
                or any(len(f["text"]) > 2000 for f in fields)
            ):
                return self._error(400, "invalid_blocks")
        self.accepted.append(message)
        return Response("ok", content_type="text/plain")


# --- Mattermost: incoming webhook -------------------------------------------------------


class FakeMattermost(FakeService):
    """`POST …/hooks/{id}`, JSON with `text` or `attachments`. Answers `ok`, or 400 with
    Mattermost's JSON error (`Invalid webhook.`, `No text specified.`)."""

    path = re.compile(r"^/hooks/([a-z0-9]+)$")
    hook_id = "h7x3k9q1mzbq8d5n6r2w4t0yca"

    @property
    def url(self) -> str:
        return self.httpserver.url_for(f"/hooks/{self.hook_id}")

    def _error(self, error_id: str, message: str) -> Response:
        body = {"id": error_id, "message": message, "detailed_error": "", "status_code": 400}
        return self.refuse(message, json_response(body, 400))

    def answer(self, request: Request) -> Response:
        if self.path.match(request.path).group(1) != self.hook_id:
            return self._error("web.incoming_webhook.invalid.app_error", "Invalid webhook.")
        try:
            message = json.loads(request.get_data())
        except ValueError:
            return self._error("web.incoming_webhook.parse.app_error", "Unable to parse data.")
        if not message.get("text") and not message.get("attachments"):
            return self._error("web.incoming_webhook.text.app_error", "No text specified.")
        self.accepted.append(message)
        return Response("ok", content_type="text/plain")


# --- Telegram: Bot API sendMessage ------------------------------------------------------


class FakeTelegram(FakeService):
    """`POST /bot{token}/sendMessage`, JSON `chat_id` and `text` (1–4,096 characters),
    optional `parse_mode` (HTML: only Telegram's tags). Answers `{"ok": true, "result":
    message}` or `{"ok": false, "error_code", "description"}` with that status;
    `known_chats` are the chats the bot is in."""

    path = re.compile(r"^/bot([^/]+)/sendMessage$")
    token = "123456789:AAEhBP0av28fakeTokenForTests_x"
    known_chats = {-1001234567890, "@radioexample"}
    html_tags = re.compile(r"</?(b|strong|i|em|u|ins|s|strike|del|code|pre|a|tg-spoiler)\b")

    @property
    def api_url(self) -> str:
        return self.httpserver.url_for("/").rstrip("/")

    def _error(self, status: int, description: str) -> Response:
        body = {"ok": False, "error_code": status, "description": description}
        return self.refuse(description, json_response(body, status))

    def answer(self, request: Request) -> Response:
        if self.path.match(request.path).group(1) != self.token:
            return self._error(401, "Unauthorized")
        try:
            message = json.loads(request.get_data())
        except ValueError:
            return self._error(400, "Bad Request: invalid JSON")
        text = message.get("text") or ""
        if "chat_id" not in message:
            return self._error(400, "Bad Request: chat_id is empty")
        if not text.strip():
            return self._error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return self._error(400, "Bad Request: message is too long")
        if message.get("parse_mode") not in (None, "HTML", "MarkdownV2", "Markdown"):
            return self._error(400, "Bad Request: unsupported parse_mode")
        if message.get("parse_mode") == "HTML":
            for tag in re.finditer(r"<[^>]*>?", text):
                if not self.html_tags.match(tag.group()):
                    return self._error(
                        400,
                        f"Bad Request: can't parse entities: Unsupported start tag "
                        f'"{tag.group()}" at byte offset {tag.start()}',
                    )
        if message["chat_id"] not in self.known_chats:
            return self._error(400, "Bad Request: chat not found")
        self.accepted.append(message)
        result = {
            "message_id": len(self.accepted),
            "date": 1769437800,
            "text": text,
            "chat": {"id": message["chat_id"], "type": "channel"},
        }
        return json_response({"ok": True, "result": result})


# --- Mastodon: POST /api/v1/statuses ---------------------------------------------------


class FakeMastodon(FakeService):
    """`POST /api/v1/statuses` with `Authorization: Bearer <token>`, `status` (at most
    `characters`) and `visibility` (public, unlisted, private, direct); an
    `Idempotency-Key` seen before gets the status it made, not a second one. Errors as
    JSON `{"error": …}`: 401 for a bad token, 422 for an invalid status."""

    path = "/api/v1/statuses"
    access_token = "mastodon-access-token-0123456789abcdef"
    characters = 500

    def __init__(self, httpserver) -> None:
        super().__init__(httpserver)
        self.statuses_by_key: dict[str, dict] = {}

    @property
    def url(self) -> str:
        return self.httpserver.url_for("/").rstrip("/")

    def answer(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.access_token}":
            return self.refuse(
                "bad token", json_response({"error": "The access token is invalid"}, 401)
            )
        key = request.headers.get("Idempotency-Key")
        if key in self.statuses_by_key:
            return json_response(self.statuses_by_key[key])
        form = json.loads(request.get_data()) if request.is_json else request.form
        text = form.get("status") or ""
        problem = (
            "Text can't be blank"
            if not text.strip()
            else f"Text character limit of {self.characters} exceeded"
            if len(text) > self.characters
            else "Visibility is not included in the list"
            if form.get("visibility", "public") not in ("public", "unlisted", "private", "direct")
            else ""
        )
        if problem:
            return self.refuse(
                problem, json_response({"error": f"Validation failed: {problem}"}, 422)
            )
        self.accepted.append(dict(form))
        status = {
            "id": str(110_000 + len(self.accepted)),
            "content": f"<p>{text}</p>",
            "visibility": form.get("visibility", "public"),
            "url": f"{self.url}/@radio/{110_000 + len(self.accepted)}",
        }
        if key:
            self.statuses_by_key[key] = status
        return json_response(status)


# --- TuneIn AIR: GET /Playing.ashx -----------------------------------------------------


class FakeTuneIn(FakeService):
    """`GET /Playing.ashx?partnerId&partnerKey&id=s…&title&artist[&album]`. Answers an
    OPML document whose `head/status` mirrors the HTTP status, with a `fault` on errors
    (a missing parameter, wrong credentials)."""

    path = "/Playing.ashx"
    method = "GET"
    partner_id, partner_key, station_id = "radioexample", "pk/Secret+Key=1", "s123456"

    @property
    def air_url(self) -> str:
        return self.httpserver.url_for(self.path)

    @staticmethod
    def opml(status: int, fault: str = "") -> Response:
        fault_xml = f"<fault>{fault}</fault>" if fault else ""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><opml version="1">'
            f"<head><status>{status}</status>{fault_xml}</head><body /></opml>"
        )
        return Response(body, status, content_type="text/xml")

    def answer(self, request: Request) -> Response:
        query = request.args
        for name in ("partnerId", "partnerKey", "id", "title", "artist"):
            if name not in query:
                return self.refuse(name, self.opml(400, f"Missing parameter: {name}"))
        if (query["partnerId"], query["partnerKey"]) != (self.partner_id, self.partner_key):
            return self.refuse("credentials", self.opml(403, "Invalid partner credentials"))
        if query["id"] != self.station_id:
            return self.refuse("station", self.opml(403, "Station not authorized for partner"))
        self.accepted.append(dict(query))
        return self.opml(200)
