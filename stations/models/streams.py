"""Streams the hub listens to, and every observation of them."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from stations.choices import CheckSource
from stations.models.station import Station

__all__ = ["Stream", "StreamCheck", "stream_state"]


def stream_state(is_up: bool | None, is_silent: bool | None) -> str:
    """A stream's (or a check's) state in one word: up, down, silent or not checked."""
    if is_up is None:
        return "not checked"
    if is_up:
        return "up"
    return "silent" if is_silent else "down"


class Stream(models.Model):
    """A listening URL the hub watches like a listener would (stations.monitor).

    The state fields (`is_up` ... `checking_until`) are written only by
    `stations.monitor.record_check`: `is_up` is the verdict of the latest check (None
    until the first one; silence counts as down when silence detection is on) and
    `state_changed_at` when it last flipped, which is when an outage began for the alert
    policies. `checking_until` is the lease of a check in progress, so check runs never
    overlap on one stream."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="streams")
    name = models.CharField(max_length=200)
    listening_url = models.URLField(max_length=500)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    monitored = models.BooleanField(
        default=True,
        help_text="Checked by the stream monitor every STREAM_MONITOR_INTERVAL_S. "
        "Status reports from the inbound hook count either way.",
    )
    silence_detection = models.BooleanField(
        default=False,
        help_text="Decode a short sample on every check; a long enough quiet stretch "
        "counts as down and alerts say `silence: true`.",
    )
    silence_threshold_dbfs = models.FloatField(
        "silence threshold (dBFS)",
        default=-50.0,
        validators=[MinValueValidator(-120.0), MaxValueValidator(0.0)],
        help_text="Audio quieter than this (RMS per 100 ms) is silence.",
    )
    silence_min_duration_s = models.PositiveIntegerField(
        "minimum silence (s)",
        default=10,
        validators=[MinValueValidator(1)],
        help_text="How long a continuous quiet stretch must last to count as silence; "
        "at most the sample length (STREAM_MONITOR_SILENCE_SAMPLE_S).",
    )
    is_up = models.BooleanField("up", null=True, editable=False)
    is_silent = models.BooleanField("silent", null=True, editable=False)
    state_changed_at = models.DateTimeField("state since", null=True, editable=False)
    last_checked_at = models.DateTimeField(null=True, editable=False)
    last_check_reason = models.CharField(max_length=500, blank=True, editable=False)
    last_monitored_at = models.DateTimeField(
        null=True, editable=False, help_text="The monitor's own last check (its schedule)."
    )
    checking_until = models.DateTimeField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def state(self) -> str:
        return stream_state(self.is_up, self.is_silent)

    def clean(self):
        sample_s = settings.STREAM_MONITOR_SILENCE_SAMPLE_S
        if self.silence_detection and (self.silence_min_duration_s or 0) > sample_s:
            raise ValidationError(
                {
                    "silence_min_duration_s": f"At most {sample_s:g} s: the monitor decodes "
                    f"a {sample_s:g} s sample (STREAM_MONITOR_SILENCE_SAMPLE_S)."
                }
            )


class StreamCheck(models.Model):
    """One observation of a stream: a monitor check or an inbound status report.

    `is_up` is the verdict the alert policies act on (silence detected with silence
    detection on is down); `silence` is None when the check did not look for it."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField()
    is_up = models.BooleanField("up")
    silence = models.BooleanField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    latency_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="Time until the response headers arrived."
    )
    source = models.CharField(
        max_length=16, choices=CheckSource.choices, default=CheckSource.MONITOR
    )

    class Meta:
        ordering = ["-checked_at"]
        indexes = [
            models.Index(fields=["stream", "checked_at"], name="streamcheck_stream_time_idx"),
            models.Index(fields=["checked_at"], name="streamcheck_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stream_id} {'up' if self.is_up else 'down'} at {self.checked_at}"

    @property
    def state(self) -> str:
        return stream_state(self.is_up, self.silence)
