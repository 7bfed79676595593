"""Stream monitor: check streams the way a listener would and record every check.

A run (the minutely django-q2 schedule, `stations.tasks.run_stream_monitor`):
1. claims the monitored streams that are due (each is checked once per
   STREAM_MONITOR_INTERVAL_S) with a lease (`checking_until`), so a stream whose check
   is still running is skipped by an overlapping run;
2. checks them concurrently on STREAM_MONITOR_THREADS threads, network only (no
   database in the threads): GET, `200` within STREAM_MONITOR_TIMEOUT_S, PROBE_BYTES of
   body; with silence detection, a decoded sample of STREAM_MONITOR_SILENCE_SAMPLE_S;
3. records each result as it arrives (`record_check`: a StreamCheck row and the stream's
   state, and the `stream_checked` signal, in one transaction: the alert policies hear it
   there, see webhooks/receivers.py);
4. prunes checks older than STREAM_CHECK_RETENTION_DAYS.

Inbound status reports take the same path through `report_stream_status`.
"""

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from stations.choices import CheckSource
from stations.listener import Listening, StreamBody, StreamDown, listen
from stations.models import Station, Stream, StreamCheck
from stations.signals import stream_checked
from stations.silence import UndecodableAudio, find_silence, measure_levels

__all__ = [
    "PROBE_BYTES",
    "CheckResult",
    "MonitorRun",
    "StreamTarget",
    "check_due_streams",
    "check_stream",
    "claim_due_streams",
    "lease_s",
    "prune_old_checks",
    "record_check",
    "report_stream_status",
    "run_stream_monitor",
    "stream_for_alert",
]

logger = logging.getLogger("stationhooks.monitor")

PROBE_BYTES = 4096
CHECK_START_BUDGET_S = 30.0
SCHEDULE_SLACK_S = 30.0
LEASE_MARGIN_S = 10.0
REASON_MAX_CHARS = 500


@dataclass(frozen=True)
class StreamTarget:
    """What one check needs, detached from the ORM so a thread can run it."""

    stream_id: int
    listening_url: str
    silence_detection: bool = False
    silence_threshold_dbfs: float = -50.0
    silence_min_duration_s: float = 10.0

    @classmethod
    def of(cls, stream: Stream) -> "StreamTarget":
        return cls(
            stream_id=stream.pk,
            listening_url=stream.listening_url,
            silence_detection=stream.silence_detection,
            silence_threshold_dbfs=stream.silence_threshold_dbfs,
            silence_min_duration_s=stream.silence_min_duration_s,
        )


@dataclass(frozen=True)
class CheckResult:
    """`is_up`: a listener gets audio data; `silence`: None when not looked for."""

    is_up: bool
    reason: str
    latency_ms: int | None = None
    silence: bool | None = None


def lease_s() -> float:
    """Longest a claimed stream can wait for its check to end: checks start within
    CHECK_START_BUDGET_S; one takes at most two network waits to get the headers and the
    probe, then the sample plus one more timeout."""
    timeout_s = settings.STREAM_MONITOR_TIMEOUT_S
    return (
        CHECK_START_BUDGET_S
        + 4 * timeout_s
        + settings.STREAM_MONITOR_SILENCE_SAMPLE_S
        + LEASE_MARGIN_S
    )


def _short_body_reason(body: StreamBody, received: int, timeout_s: float) -> str:
    if body.error:
        return f"Read error after {received} bytes: {body.error}"
    if body.ended:
        return "Empty body" if not received else f"Stream ended after {received} bytes"
    return f"Timeout: only {received} bytes of audio within {timeout_s:g} s"


def _check_silence(target: StreamTarget, listening: Listening, sample_s: float) -> CheckResult:
    try:
        levels = measure_levels(listening.body, max_seconds=sample_s)
    except UndecodableAudio as exc:
        return CheckResult(False, f"Could not decode the audio: {exc}", listening.latency_ms)
    verdict = find_silence(
        levels.levels_dbfs,
        threshold_dbfs=target.silence_threshold_dbfs,
        min_duration_s=target.silence_min_duration_s,
    )
    sample = f"a {levels.decoded_s:.1f} s sample ({levels.codec})"
    if verdict.silent:
        reason = (
            f"Silence: {verdict.longest_quiet_s:.1f} s below "
            f"{target.silence_threshold_dbfs:g} dBFS in {sample}"
        )
    else:
        reason = f"{listening.status_line}, sound in {sample}"
        if levels.decoded_s < target.silence_min_duration_s:
            reason += ", too short to rule out silence"
    return CheckResult(True, reason, listening.latency_ms, silence=verdict.silent)


def check_stream(
    target: StreamTarget, *, timeout_s: float, sample_s: float, allow_private: bool
) -> CheckResult:
    """Listen to one stream and say whether a listener would get audio.

    Network and decoding only, no database: safe to run on a thread. Every way a stream
    can fail (refused, timeout, non-200, more than one redirect, empty or short body,
    undecodable audio with silence detection on) is a result with a reason, never an
    exception."""
    try:
        with listen(
            target.listening_url, timeout_s=timeout_s, allow_private=allow_private
        ) as listening:
            probe = listening.body.probe(PROBE_BYTES)
            if len(probe) < PROBE_BYTES:
                raise StreamDown(
                    _short_body_reason(listening.body, len(probe), timeout_s),
                    listening.latency_ms,
                )
            if not target.silence_detection:
                kind = listening.content_type or "no Content-Type"
                return CheckResult(True, f"{listening.status_line} ({kind})", listening.latency_ms)
            listening.body.deadline = time.monotonic() + sample_s + timeout_s
            return _check_silence(target, listening, sample_s)
    except StreamDown as exc:
        return CheckResult(False, exc.reason, exc.latency_ms)


def claim_due_streams(*, now: datetime) -> list[Stream]:
    """Lease the monitored streams that are due and not being checked.

    A stream is due once STREAM_MONITOR_INTERVAL_S has passed since the monitor's last
    check of it, less SCHEDULE_SLACK_S because django-q2's scheduler wakes about every
    30 s. Least recently checked first. `SELECT … FOR UPDATE SKIP LOCKED` on
    PostgreSQL; SQLite's IMMEDIATE transactions serialise claims."""
    interval_s = max(0.0, settings.STREAM_MONITOR_INTERVAL_S - SCHEDULE_SLACK_S)
    due_before = now - timedelta(seconds=interval_s)
    with transaction.atomic():
        claimed = list(
            Stream.objects.filter(monitored=True)
            .filter(Q(last_monitored_at__isnull=True) | Q(last_monitored_at__lte=due_before))
            .filter(Q(checking_until__isnull=True) | Q(checking_until__lt=now))
            .order_by(F("last_monitored_at").asc(nulls_first=True), "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if claimed:
            Stream.objects.filter(pk__in=claimed).update(
                checking_until=now + timedelta(seconds=lease_s())
            )
    return list(Stream.objects.filter(pk__in=claimed).order_by("pk"))


def record_check(
    *, stream_id: int, result: CheckResult, source: CheckSource, checked_at: datetime
) -> StreamCheck:
    """Record one observation, in one transaction: the StreamCheck row, the stream's
    current state (silence is down when silence detection is on), and `stream_checked`
    with both, so what listens acts on it in the same transaction."""
    with transaction.atomic():
        stream = Stream.objects.select_for_update().get(pk=stream_id)
        silence = result.silence if stream.silence_detection else None
        is_up = result.is_up and not silence
        check = StreamCheck.objects.create(
            stream=stream,
            checked_at=checked_at,
            is_up=is_up,
            silence=result.silence,
            reason=result.reason[:REASON_MAX_CHARS],
            latency_ms=result.latency_ms,
            source=source,
        )
        state = {
            "is_up": is_up,
            "is_silent": silence,
            "last_checked_at": checked_at,
            "last_check_reason": check.reason,
        }
        if stream.is_up is None or stream.is_up != is_up:
            state["state_changed_at"] = checked_at
        if source == CheckSource.MONITOR:
            state.update(last_monitored_at=checked_at, checking_until=None)
        Stream.objects.filter(pk=stream.pk).update(**state)
        for field, value in state.items():
            setattr(stream, field, value)
        stream_checked.send(sender=Stream, stream=stream, check=check)
    return check


def _release(stream_ids: list[int]) -> None:
    Stream.objects.filter(pk__in=stream_ids).update(checking_until=None)


def check_due_streams() -> list[StreamCheck]:
    """Check every due stream concurrently and record each result as it arrives.

    Checks not started within CHECK_START_BUDGET_S are released, unrecorded, for the
    next run (they are then the least recently checked, so they go first)."""
    streams = claim_due_streams(now=timezone.now())
    if not streams:
        return []
    start_by = time.monotonic() + CHECK_START_BUDGET_S
    options = {
        "timeout_s": settings.STREAM_MONITOR_TIMEOUT_S,
        "sample_s": settings.STREAM_MONITOR_SILENCE_SAMPLE_S,
        "allow_private": settings.STREAM_MONITOR_ALLOW_PRIVATE_TARGETS,
    }

    def check_if_in_budget(target: StreamTarget) -> CheckResult | None:
        if time.monotonic() > start_by:
            return None
        return check_stream(target, **options)

    checks: list[StreamCheck] = []
    threads = max(1, min(settings.STREAM_MONITOR_THREADS, len(streams)))
    with ThreadPoolExecutor(threads, thread_name_prefix="stream-check") as pool:
        pending = {pool.submit(check_if_in_budget, StreamTarget.of(s)): s for s in streams}
        for future in as_completed(pending):
            stream = pending[future]
            try:
                result = future.result()
                if result is None:
                    _release([stream.pk])
                    continue
                checks.append(
                    record_check(
                        stream_id=stream.pk,
                        result=result,
                        source=CheckSource.MONITOR,
                        checked_at=timezone.now(),
                    )
                )
            except Exception:
                logger.exception("Checking stream %s (%s) failed", stream.pk, stream.name)
                _release([stream.pk])
    return checks


def prune_old_checks(*, now: datetime) -> int:
    cutoff = now - timedelta(days=settings.STREAM_CHECK_RETENTION_DAYS)
    deleted, _ = StreamCheck.objects.filter(checked_at__lt=cutoff).delete()
    return deleted


@dataclass(frozen=True)
class MonitorRun:
    checked: int
    down: int
    pruned: int


def run_stream_monitor() -> MonitorRun:
    """One run of the schedule: check the due streams, then prune old checks."""
    checks = check_due_streams()
    pruned = prune_old_checks(now=timezone.now())
    run = MonitorRun(
        checked=len(checks), down=sum(not check.is_up for check in checks), pruned=pruned
    )
    if checks:
        logger.info(
            "Stream monitor: %d checked, %d down, %d old checks pruned",
            run.checked,
            run.down,
            run.pruned,
        )
    return run


def stream_for_alert(
    *, station: Station, stream_uuid: uuid.UUID, name: str, listening_url: str
) -> Stream:
    """The station's stream another monitor alerts about by its UUID; created on first
    sight with that UUID, name and URL, and not monitored by the hub (the other monitor
    watches it; an operator may turn monitoring on). A UUID another station's stream has
    already is matched by the stream's name instead, and a stream created for it gets a
    UUID of its own."""
    stream = Stream.objects.filter(station=station, uuid=stream_uuid).first()
    if stream is not None:
        return stream
    taken = Stream.objects.filter(uuid=stream_uuid).exists()
    name = (name or str(stream_uuid))[: Stream._meta.get_field("name").max_length]
    if taken and (stream := Stream.objects.filter(station=station, name=name).first()):
        return stream
    return Stream.objects.create(
        station=station,
        uuid=uuid.uuid4() if taken else stream_uuid,
        name=name,
        listening_url=listening_url[: Stream._meta.get_field("listening_url").max_length],
        monitored=False,
    )


def report_stream_status(
    *,
    stream: Stream,
    is_up: bool,
    silence: bool | None = None,
    reason: str = "",
    source: str = "external",
) -> StreamCheck:
    """Record a status report from outside the hub (the inbound stream-status hook) as a
    check, the same way as the monitor's own checks (`stream_checked` included).

    `silence=True` counts as down only when silence detection is on for the stream (the
    check keeps the reported value either way). `stream` is refreshed with its new
    state. Raises ValueError for an unknown `source`."""
    check = record_check(
        stream_id=stream.pk,
        result=CheckResult(is_up=is_up, reason=reason, silence=silence),
        source=CheckSource(source),
        checked_at=timezone.now(),
    )
    stream.refresh_from_db(
        fields=["is_up", "is_silent", "state_changed_at", "last_checked_at", "last_check_reason"]
    )
    return check
