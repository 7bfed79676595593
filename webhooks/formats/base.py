"""What a destination format is, and the registry of them. Pure: no ORM, no settings.

A Format turns an event into the request one kind of receiver expects, and reads that
receiver's answers. It declares:
- `settings`: the fields an operator fills in for it (secret ones are stored encrypted and
  masked wherever a request is shown);
- `event_types`: the event types it can send (None: every registered one);
- `url`: the rule for the webhook's URL, or None when the service's address is a Django
  setting (`service_url_setting`) and the webhook needs no URL;
- `render`: (RenderInput) -> RenderedRequest, a pure function, so an event's request is
  the same bytes on every attempt for the same settings (None: the native request, the
  event's body POSTed and signed);
- `judge`: (Answer) -> Verdict | None, what an answer means when the service says more
  than its HTTP status (None, or a None verdict: the outcome rules of webhooks.policy).

Formats register themselves with `register()`; callers look them up by the name a
webhook stores (`get`) and never branch on a format's name.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, quote_plus

from webhooks.policy import Outcome
from webhooks.signing import mask_secret

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


class FormatProblem(ValueError):
    """Why a request cannot be made from these settings and this event; `setting` names
    the setting at fault ("" when it is none in particular)."""

    def __init__(self, message: str, *, setting: str = "") -> None:
        super().__init__(message)
        self.setting = setting


@dataclass(frozen=True)
class Setting:
    """One field of a format's settings. `kind`: "text", "textarea", "choice", "secret"
    (write-only, encrypted at rest, masked when shown) or "flag" (a checkbox)."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    default: Any = ""
    max_length: int = 2000

    @property
    def secret(self) -> bool:
        return self.kind == "secret"


@dataclass(frozen=True)
class UrlRule:
    """What the webhook's URL must be for a format: `check(url)` says why a URL is wrong
    (None when fine); `secret_parts(url)` are the parts of it that are credentials (a
    Discord webhook's token), masked wherever the URL is shown."""

    label: str = "URL"
    help: str = ""
    check: Callable[[str], str | None] = field(default=lambda url: None, repr=False)
    secret_parts: Callable[[str], tuple[str, ...]] = field(default=lambda url: (), repr=False)


@dataclass(frozen=True)
class RenderInput:
    """Everything a request is made of: the event (its type, its frozen payload and the
    same as JSON text, its webhook-id), where it goes (`url`: the webhook's URL, or the
    service's address from the settings) and the webhook's format settings."""

    event_type: str
    payload: Mapping[str, Any]
    body: str
    message_id: str
    url: str
    settings: Mapping[str, Any]


@dataclass(frozen=True)
class RenderedRequest:
    """One request exactly as it goes on the wire. `signed`: our own headers are added
    (webhook-id, timestamps and signatures over `body`, api-key), as the native format
    sends them; `secrets`: values masked wherever the request is shown; `problem`: why it
    could not be made (nothing is sent, the attempt fails with it), and the setting at
    fault (`problem_setting`)."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    signed: bool = False
    secrets: tuple[str, ...] = ()
    problem: str = ""
    problem_setting: str = ""

    def mask(self, text: str) -> str:
        """`text` with every secret (as it is, and as it reads in a URL) masked."""
        for secret in self.secrets:
            if not secret:
                continue
            for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
                text = text.replace(form, mask_secret(secret))
        return text

    def masked_headers(self) -> dict[str, str]:
        return {name: self.mask(value) for name, value in self.headers.items()}

    def shown(self) -> dict[str, str]:
        """The request line and body as the delivery log and the preview show them."""
        return {
            "method": self.method,
            "url": self.mask(self.url),
            "body": self.mask(self.body.decode("utf-8", errors="replace")),
        }


@dataclass(frozen=True)
class Answer:
    """A receiver's answer: status, headers, the start of its body, when it came."""

    status: int
    headers: Mapping[str, str]
    body: str
    at: datetime


@dataclass(frozen=True)
class Verdict:
    """What an answer means: its outcome, why (logged as the attempt's error), and how
    long to wait before the retry when the service said so."""

    outcome: Outcome
    reason: str = ""
    retry_after_s: float | None = None


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    event_types: frozenset[str] | None
    settings: tuple[Setting, ...] = ()
    url: UrlRule | None = UrlRule()
    service_url_setting: str = ""
    render: Callable[[RenderInput], RenderedRequest] | None = field(default=None, repr=False)
    judge: Callable[[Answer], Verdict | None] | None = field(default=None, repr=False)
    signed: bool = False
    help: str = ""

    def __str__(self) -> str:
        return self.name

    def sends(self, event_type: str) -> bool:
        return self.event_types is None or event_type in self.event_types

    def secret_settings(self) -> tuple[Setting, ...]:
        return tuple(s for s in self.settings if s.secret)


_registry: dict[str, Format] = {}


def register(destination: Format) -> Format:
    """Add a format; its name must be new and fit Webhook.format (20 characters)."""
    if destination.name in _registry:
        raise ValueError(f"Format {destination.name!r} is registered already.")
    if len(destination.name) > 20:
        raise ValueError(f"Format name {destination.name!r} is over 20 characters.")
    if destination.url is None and not destination.service_url_setting:
        raise ValueError(f"Format {destination.name!r} needs a URL rule or a service URL.")
    _registry[destination.name] = destination
    return destination


def get(name: str) -> Format:
    """The registered format of that name; KeyError for an unknown one."""
    return _registry[name]


def registered() -> list[Format]:
    return list(_registry.values())


def choices() -> list[tuple[str, str]]:
    """(name, label) of every format: the choices of Webhook.format."""
    return [(destination.name, destination.label) for destination in _registry.values()]
