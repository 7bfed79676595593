"""Template: a body the operator writes, for receivers that want their own JSON (or form,
or text) (docs/destinations.md, "Template").

Jinja2's SandboxedEnvironment renders it: no access to Python internals, and within
bounds here: `range()` of at most RANGE_MAX items, no value repeated past the output's
bound, no power above POWER_MAX, output past OUTPUT_MAX_BYTES an error. Undefined names
are errors, so a typo is caught when the webhook is saved (the form renders the trigger's
sample event). The template sees `event` (the event's native payload), `event_type`,
`webhook_id` and `secret` (a setting stored encrypted and masked wherever the request is
shown: put credentials there, not in the template). The request is POSTed with the
content type given, signed like the native format; a JSON content type must render JSON.
"""

import json
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from webhooks.formats.base import (
    Format,
    FormatProblem,
    RenderedRequest,
    RenderInput,
    Setting,
    UrlRule,
    register,
)

__all__ = ["OUTPUT_MAX_BYTES", "TEMPLATE"]

OUTPUT_MAX_BYTES = 256 * 1024
RANGE_MAX = 1000
POWER_MAX = 64


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > RANGE_MAX:
        raise SecurityError(f"range() of more than {RANGE_MAX} items")
    return numbers


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox, with `*` and `**` kept from building huge values."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int | float) and abs(right) > POWER_MAX:
            raise SecurityError(f"powers above {POWER_MAX} are not allowed")
        if operator == "*":
            for value, times in ((left, right), (right, left)):
                if hasattr(value, "__len__") and isinstance(times, int):
                    if len(value) * times > OUTPUT_MAX_BYTES:
                        raise SecurityError("repeating a value this many times is not allowed")
        return super().call_binop(context, operator, left, right)


ENVIRONMENT = BoundedSandbox(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
)
ENVIRONMENT.globals["range"] = _bounded_range


@lru_cache(maxsize=256)
def _compiled(source: str):
    return ENVIRONMENT.from_string(source)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _render(given: RenderInput) -> RenderedRequest:
    settings = given.settings
    content_type = (settings.get("content_type") or "application/json").strip()
    try:
        template = _compiled(settings.get("template", ""))
        output, size = [], 0
        for chunk in template.generate(
            event=given.payload,
            event_type=given.event_type,
            webhook_id=given.message_id,
            secret=settings.get("secret", ""),
        ):
            size += len(chunk.encode())
            if size > OUTPUT_MAX_BYTES:
                raise FormatProblem(
                    f"The template renders more than {OUTPUT_MAX_BYTES // 1024} KiB.",
                    setting="template",
                )
            output.append(chunk)
    except (TemplateError, TypeError, ValueError, ArithmeticError) as error:
        if isinstance(error, FormatProblem):
            raise
        where = f" (line {error.lineno})" if getattr(error, "lineno", None) else ""
        raise FormatProblem(f"The template fails{where}: {error}", setting="template") from None
    body = "".join(output)
    if _is_json(content_type):
        try:
            json.loads(body)
        except ValueError as error:
            raise FormatProblem(
                f"The template renders invalid JSON for {content_type}: {error}",
                setting="template",
            ) from None
    return RenderedRequest(
        method="POST", url=given.url, headers={"Content-Type": content_type}, body=body.encode()
    )


TEMPLATE = register(
    Format(
        name="template",
        label="Template (your own body)",
        event_types=None,
        settings=(
            Setting(
                "template",
                "Template",
                kind="textarea",
                required=True,
                max_length=20000,
                help="Jinja2 (sandboxed). Names: event (the native payload, e.g. "
                "{{ event.track.title }}), event_type, webhook_id, secret. For JSON, "
                "{{ value|tojson }} quotes a value. Checked against the trigger's sample "
                "event when saved.",
            ),
            Setting(
                "content_type",
                "Content type",
                default="application/json",
                help="Sent as Content-Type; a JSON type must render valid JSON.",
            ),
            Setting(
                "secret",
                "Template secret",
                kind="secret",
                help="A credential the template uses as {{ secret }}: encrypted at rest and "
                "masked in the log and the preview.",
            ),
        ),
        url=UrlRule(help="Your receiver's address: the rendered body is POSTed there, signed."),
        render=_render,
        signed=True,
        help="POSTs a body you write in a sandboxed template language, signed.",
    )
)
