"""The inbound gateway's records: the sources that send to `/in/<token>/`, and every
request they sent (webhooks.gateway receives, verifies and processes them)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from stations.models import Station
from webhooks import event_types
from webhooks.choices import (
    GenericAuth,
    InboundOutcome,
    InboundStatus,
    SignatureAlgorithm,
    SignatureEncoding,
    SourceKind,
)
from webhooks.encryption import EncryptedTextField
from webhooks.gateway.tokens import hash_token, new_token
from webhooks.gateway.verifiers import VerifierConfig, credentials_problem
from webhooks.models.webhook import Webhook

__all__ = ["DEFAULT_MAX_BODY_BYTES", "InboundRequest", "InboundSource"]

DEFAULT_MAX_BODY_BYTES = 256 * 1024
MAX_BODY_BYTES_LIMIT = 10 * 1024 * 1024


class InboundSource(models.Model):
    """A sender of webhooks to the hub (a station's RadioManager, xtra, Radio Mast …): its
    ingest URL `/in/<token>/`, how its requests are verified (by `kind`) and what they
    become. The token is kept encrypted (shown to operators) and hashed (looked up);
    after a rotation the previous one keeps working until `previous_token_expires_at`."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="inbound_sources")
    name = models.CharField(max_length=200, help_text='Who sends, e.g. "xtra studio 1".')
    kind = models.CharField(max_length=24, choices=SourceKind.choices)
    enabled = models.BooleanField(
        default=True, help_text="A disabled source's URL answers 404 and keeps nothing."
    )
    token = EncryptedTextField(default=new_token, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    previous_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    previous_token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    secret = EncryptedTextField(
        blank=True,
        help_text="The secret the sender signs with (xtra, Standard Webhooks, generic HMAC; "
        "optional for RadioManager and Radio Mast). Encrypted at rest.",
    )
    key = EncryptedTextField(
        blank=True,
        help_text="The key the sender puts in its header (RadioManager's api-key, a generic "
        "API key) or the basic-auth password. Encrypted at rest.",
    )
    auth = models.CharField(
        "generic verification",
        max_length=16,
        choices=GenericAuth.choices,
        default=GenericAuth.HMAC,
        help_text="Generic sources: how requests prove where they come from.",
    )
    header_name = models.CharField(
        max_length=100,
        blank=True,
        default="X-Webhook-Signature",
        help_text="The header that carries the HMAC signature (generic, or RadioManager and "
        "Radio Mast with a secret) or the key (generic API key).",
    )
    signature_prefix = models.CharField(
        max_length=40, blank=True, help_text='Text before the signature, e.g. "sha256=".'
    )
    algorithm = models.CharField(
        max_length=8, choices=SignatureAlgorithm.choices, default=SignatureAlgorithm.SHA256
    )
    encoding = models.CharField(
        max_length=8, choices=SignatureEncoding.choices, default=SignatureEncoding.HEX
    )
    username = models.CharField(max_length=150, blank=True, help_text="Generic basic auth.")
    relay_to = models.ManyToManyField(
        Webhook,
        blank=True,
        related_name="relayed_sources",
        limit_choices_to={"event_type": event_types.INBOUND_RELAY.name},
        help_text="Generic and Standard Webhooks sources: the relay webhooks of the same "
        "station that get each accepted request's body as it came.",
    )
    max_body_bytes = models.PositiveIntegerField(
        "body limit (bytes)",
        default=DEFAULT_MAX_BODY_BYTES,
        validators=[MinValueValidator(1024), MaxValueValidator(MAX_BODY_BYTES_LIMIT)],
        help_text="Larger requests are answered 413.",
    )
    dedup_window_s = models.PositiveIntegerField(
        "de-duplication window (s)",
        default=24 * 3600,
        help_text="xtra, Radio Mast and generic requests carry no id: one with the same "
        "body as a request accepted this recently is a duplicate (0: none is). "
        "Standard Webhooks (webhook-id) and RadioManager (station_id, job_id) requests are "
        "duplicates of any accepted request with the same id still in the log.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ENCRYPTED_FIELDS = ("token", "secret", "key")

    class Meta:
        ordering = ["station", "name"]
        verbose_name = "inbound source"
        indexes = [
            models.Index(
                fields=["previous_token_hash"],
                name="inboundsource_previous_idx",
                condition=~Q(previous_token_hash=""),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.token_hash = hash_token(self.token)
        if kwargs.get("update_fields") is not None and "token" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "token_hash"}
        super().save(*args, **kwargs)

    def verifier_config(self) -> VerifierConfig:
        return VerifierConfig(
            kind=self.kind,
            secret=self.secret,
            key=self.key,
            auth=self.auth,
            header_name=self.header_name,
            signature_prefix=self.signature_prefix,
            algorithm=self.algorithm,
            encoding=self.encoding,
            username=self.username,
        )

    @property
    def ingest_path(self) -> str:
        return f"/in/{self.token}/"

    def clean(self):
        problems = credentials_problem(self.verifier_config())
        if problems:
            raise ValidationError(problems)


class InboundRequest(models.Model):
    """One request that reached a source's URL, whatever became of it: its headers (secrets
    redacted), raw body, client address, the verification and the answer. An accepted one
    is processed by a worker (`status`) into the hub's events, which point back at it
    (Event.inbound_request).

    De-duplication: an accepted request *holds* its `dedup_key` (a unique index over the
    source's held keys, claimed by the insert itself); a later request with the same key
    is a duplicate unless the holder's processing failed, or the key is a body hash older
    than the source's window: then the holder lets go and the newcomer is accepted."""

    source = models.ForeignKey(InboundSource, on_delete=models.CASCADE, related_name="requests")
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="+", db_index=False)
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=InboundOutcome.choices)
    response_status = models.PositiveSmallIntegerField()
    verification = models.CharField(
        max_length=300, blank=True, help_text="What the request had to prove, and how."
    )
    cause = models.CharField(
        max_length=300, blank=True, help_text="Why it was rejected, or whose duplicate it is."
    )
    headers = models.JSONField(default=dict)
    body = models.BinaryField(default=bytes)
    content_type = models.CharField(max_length=200, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    dedup_key = models.CharField(max_length=200, blank=True)
    holds_key = models.BooleanField(default=False)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    sequence = models.BigIntegerField(
        null=True, blank=True, help_text="RadioManager's job_id: the order of relaying."
    )
    status = models.CharField(
        max_length=16, choices=InboundStatus.choices, default=InboundStatus.NONE, blank=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    process_after = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who accepted it anyway after it was rejected.",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "inbound request"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "dedup_key"],
                condition=Q(holds_key=True),
                name="inbound_one_holder_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["-received_at"], name="inbound_received_idx"),
            models.Index(fields=["station", "-received_at"], name="inbound_station_idx"),
            models.Index(fields=["source", "-received_at"], name="inbound_source_idx"),
            models.Index(fields=["outcome", "-received_at"], name="inbound_outcome_idx"),
            models.Index(fields=["dedup_key"], name="inbound_dedup_key_idx"),
            models.Index(
                fields=["process_after"],
                name="inbound_pending_idx",
                condition=Q(status=InboundStatus.PENDING),
            ),
        ]

    def __str__(self) -> str:
        return f"Inbound request #{self.pk} to {self.source_id}"
