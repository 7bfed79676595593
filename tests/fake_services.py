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

__all__ = ["FakeDiscord", "FakeService"]


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
