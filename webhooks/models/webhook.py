"""A webhook: where one station's events of one type go, and how they are sent there."""

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import JSONField

from stations.choices import PushModel
from stations.models import Station
from webhooks import custom_headers, event_types, formats
from webhooks.breaker import Breaker
from webhooks.encryption import EncryptedTextField
from webhooks.signing import generate_secret, mask_secret
from webhooks.targets import validate_target_url

__all__ = ["Webhook"]


class Webhook(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=200)
    url = models.URLField(
        max_length=2000,
        verbose_name="URL",
        blank=True,
        help_text="Where requests go; formats that talk to one service's API (Telegram, "
        "TuneIn) take its address from the settings and need none.",
    )
    event_type = models.CharField(max_length=40, choices=event_types.choices)
    format = models.CharField(
        max_length=20,
        choices=formats.choices,
        default="native",
        help_text="What the requests look like: the native JSON, signed, or the message a "
        "chat or directory service expects (webhooks.formats).",
    )
    format_settings = models.JSONField(default=dict, blank=True, editable=False)
    format_secrets = EncryptedTextField(
        blank=True,
        editable=False,
        help_text="The format's secret settings (tokens, keys) as a JSON object.",
    )
    enabled = models.BooleanField(default=True)
    paused_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Paused since: new deliveries are created but held until Resume "
        "(webhooks.holding).",
    )
    secret = EncryptedTextField(
        blank=True,
        default=generate_secret,
        help_text="Signs each request (X-Webhook-Signature and webhook-signature). "
        "Leave empty to send unsigned requests. Encrypted at rest.",
    )
    previous_secret = EncryptedTextField(
        blank=True,
        editable=False,
        help_text="The secret before the last rotation; webhook-signature carries a "
        "signature with it too until previous_secret_expires_at.",
    )
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    key = EncryptedTextField(blank=True, help_text="Sent as the api-key header when set.")
    custom_headers = EncryptedTextField(
        blank=True,
        editable=False,
        help_text="Headers of the operator's own sent on every request, a JSON list of "
        "[name, value] (webhooks.custom_headers).",
    )
    ENCRYPTED_FIELDS = ("secret", "previous_secret", "key", "format_secrets", "custom_headers")
    delay_s = models.PositiveIntegerField(
        "delay (s)",
        default=0,
        help_text="Send every message this many seconds late "
        "(now-playing metadata often runs ahead of the audio listeners hear).",
    )
    throttle_s = models.PositiveIntegerField(
        "throttle (s)",
        default=0,
        help_text="Now-playing: at most one message every N seconds; the latest track wins.",
    )
    debounce_s = models.PositiveIntegerField(
        "debounce (s)",
        default=0,
        help_text="Push: updates of the same object within N seconds go out as one update "
        "(the latest job_id). Creates and deletes are never held back or merged.",
    )
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    # The endpoint's circuit breaker (webhooks.breaker): open until breaker_retry_at.
    breaker_failures = models.PositiveIntegerField(default=0, editable=False)
    breaker_trips = models.PositiveIntegerField(default=0, editable=False)
    breaker_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    breaker_reason = models.CharField(max_length=300, blank=True, editable=False)
    BREAKER_FIELDS = ("breaker_failures", "breaker_trips", "breaker_retry_at", "breaker_reason")
    answers_quickly = models.BooleanField(
        default=False,
        editable=False,
        help_text="Its last attempts were all answered within a second: it may have more "
        "deliveries in flight (WEBHOOKS_QUICK_ENDPOINT_MAX_IN_FLIGHT).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Last on purpose: from here on, `models` in this class body is this field.
    models = JSONField(
        default=list,
        blank=True,
        help_text="Push models this webhook watches; none selected means all six.",
    )

    class Meta:
        ordering = ["station", "name"]
        indexes = [models.Index(fields=["station", "event_type", "enabled"])]

    def __str__(self) -> str:
        return self.name

    @property
    def destination(self) -> formats.Format:
        return formats.get(self.format)

    def destination_settings(self) -> dict:
        """The format's settings, secret ones included (decrypted)."""
        secrets = json.loads(self.format_secrets) if self.format_secrets else {}
        return {**self.format_settings, **secrets}

    def set_destination_settings(self, values: dict) -> None:
        """Store the format's settings, its secret ones encrypted."""
        secret_names = {s.name for s in self.destination.secret_settings()}
        self.format_settings = {k: v for k, v in values.items() if k not in secret_names}
        secrets = {k: v for k, v in values.items() if k in secret_names and v}
        self.format_secrets = json.dumps(secrets) if secrets else ""

    def headers_list(self) -> list[tuple[str, str]]:
        """The operator's own headers, decrypted, in their order."""
        return custom_headers.decode(self.custom_headers)

    def signing_previous_secret(self, now) -> str:
        """The pre-rotation secret while its grace period lasts, else ""."""
        expires = self.previous_secret_expires_at
        return self.previous_secret if expires and now < expires else ""

    @property
    def breaker(self) -> Breaker:
        return Breaker(
            self.breaker_failures, self.breaker_trips, self.breaker_retry_at, self.breaker_reason
        )

    def set_breaker(self, breaker: Breaker) -> None:
        self.breaker_failures, self.breaker_trips = breaker.failures, breaker.trips
        self.breaker_retry_at, self.breaker_reason = breaker.retry_at, breaker.reason[:300]

    def in_flight_cap(self) -> int:
        """How many of its deliveries may be in flight at once, across every worker: an
        endpoint that has shown it answers quickly may have a burst, any other (new, slow,
        failing) only a few, so a receiver that hangs holds few requests."""
        if self.answers_quickly:
            return settings.WEBHOOKS_QUICK_ENDPOINT_MAX_IN_FLIGHT
        return settings.WEBHOOKS_ENDPOINT_MAX_IN_FLIGHT

    def watches(self, model: str) -> bool:
        """Whether this is a push webhook for changes of `model`."""
        return self.event_type == event_types.PUSH.name and (
            not self.models or model in self.models
        )

    @property
    def masked_secret(self) -> str:
        return mask_secret(self.secret)

    @property
    def masked_key(self) -> str:
        return mask_secret(self.key)

    def clean(self):
        unknown = set(self.models or []) - set(PushModel.values)
        if unknown:
            raise ValidationError({"models": f"Unknown models: {', '.join(sorted(unknown))}."})
        try:
            destination = self.destination
        except KeyError:
            return  # an unknown format: the field's own choice check says so
        if self.event_type and not destination.sends(self.event_type):
            labels = dict(event_types.choices())
            sent = ", ".join(labels.get(t, t) for t in sorted(destination.event_types))
            raise ValidationError(
                {"format": f"{destination.label} sends {sent}, not {self.event_type}."}
            )
        rule = destination.url
        if rule is None:
            self.url = ""
        elif not self.url:
            raise ValidationError({"url": f"Enter the {rule.label}."})
        else:
            validate_target_url(self.url)
            if problem := rule.check(self.url):
                raise ValidationError({"url": problem})
