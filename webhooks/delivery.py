"""The delivery engine: claim due deliveries, send them, record every attempt.

A worker claims a batch of due deliveries with a lease (`SELECT … FOR UPDATE SKIP LOCKED`
on PostgreSQL; SQLite's IMMEDIATE transactions serialise claims), sends them on pooled
keep-alive sessions (concurrently while receivers are slow), then writes all attempts and
outcomes in one transaction.
A worker that dies mid-batch leaves its leases to expire; the deliveries are then due
again and another worker sends them (at-least-once; `webhook-id` lets receivers drop the
duplicate). The lease outlasts the longest a batch can take, so a live worker's delivery is
never sent twice.
"""

import functools
import logging
import os
import random
import threading
import time
from collections import Counter, defaultdict, deque
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress

from webhooks import queueing
from webhooks.choices import DeliveryStatus
from webhooks.inserts import insert_all
from webhooks.models import Delivery, DeliveryAttempt, Webhook
from webhooks.policy import ErrorKind, Outcome, classify, next_step, parse_retry_after
from webhooks.signing import build_request_headers, mask_secret
from webhooks.stats import count_outcomes

__all__ = [
    "BATCH_SIZE",
    "claim_due_deliveries",
    "drain_due_deliveries",
    "due_times",
    "lease_s",
    "send_deliveries",
]

logger = logging.getLogger("stationhooks.delivery")

BATCH_SIZE = queueing.BATCH_SIZE
RESPONSE_BODY_LOG_BYTES = 4096
RESPONSE_READ_LIMIT_BYTES = 64 * 1024
DRAIN_BUDGET_S = 30.0
LEASE_MARGIN_S = 5.0


def lease_s() -> float:
    """Longest a claimed batch can take: sends start within WEBHOOKS_SEND_BUDGET_S and
    each ends within its connect + request timeout."""
    return (
        settings.WEBHOOKS_SEND_BUDGET_S
        + settings.WEBHOOKS_CONNECT_TIMEOUT_S
        + settings.WEBHOOKS_REQUEST_TIMEOUT_S
        + LEASE_MARGIN_S
    )


def _due_filter(now: datetime) -> Q:
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) & (
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    )


def due_times(*, limit: int) -> list[datetime]:
    """When the due deliveries nobody holds fell due, oldest first, at most `limit` of
    them: how many there are (up to `limit`) and how long the oldest has waited, in one
    look at the due index."""
    due = Delivery.objects.filter(_due_filter(timezone.now())).order_by("next_attempt_at")
    return list(due.values_list("next_attempt_at", flat=True)[:limit])


def claim_due_deliveries(*, limit: int, ids: list[int] | None = None) -> list[Delivery]:
    """Lease up to `limit` due deliveries, oldest first (only among `ids` when given);
    returns them loaded with their event and webhook. Each webhook is loaded once per
    batch, not once per delivery: its secret and key are decrypted on load."""
    now = timezone.now()
    with transaction.atomic():
        due = Delivery.objects.filter(_due_filter(now))
        if ids is not None:
            due = due.filter(pk__in=ids)
        claimed = list(
            due.order_by("next_attempt_at")
            .select_related("event")
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        if claimed:
            Delivery.objects.filter(pk__in=[d.pk for d in claimed]).update(
                lease_expires_at=now + timedelta(seconds=lease_s())
            )
    webhooks = Webhook.objects.in_bulk({d.webhook_id for d in claimed})
    for delivery in claimed:
        delivery.webhook = webhooks[delivery.webhook_id]
    return claimed


@dataclass(frozen=True)
class Request:
    """Everything one attempt needs, detached from the ORM so threads can send it."""

    delivery_id: int
    url: str
    body: bytes
    message_id: str
    secret: str
    key: str
    previous_secret: str = ""


@dataclass
class AttemptResult:
    delivery_id: int
    started_at: datetime
    duration_ms: int = 0
    request_headers: dict = field(default_factory=dict)
    status_code: int | None = None
    response_headers: dict = field(default_factory=dict)
    response_body: str = ""
    error: str = ""
    error_kind: ErrorKind | None = None
    attempted: bool = True


_thread_state = threading.local()


def _read_environment_once(session: requests.Session) -> None:
    """requests reads proxies, a CA bundle and ~/.netrc from the environment on every
    request: a scan of the whole environment, a quarter of the CPU time of a send. The
    engine's sessions read the CA bundle once, proxies once per receiver (`_proxies_for`)
    and ~/.netrc never: its credentials are not for webhook receivers."""
    session.trust_env = False
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )


@functools.lru_cache(maxsize=4096)
def _proxies_for(origin: str) -> dict[str, str]:
    """The environment's proxies (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY) for a receiver's
    `scheme://host:port`, or none when NO_PROXY exempts it; looked up once per origin."""
    return requests.utils.get_environ_proxies(origin)


def _session() -> requests.Session:
    """One keep-alive session per thread and SSRF setting, reused across tasks."""
    allow_private = settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS
    sessions = _thread_state.__dict__.setdefault("sessions", {})
    if allow_private not in sessions:
        session = HTTPSession(
            Config(
                ip_filter_enable=not allow_private,
                ip_filter_allow_loopback_ips=False,
                never_redirect=True,
                default_timeout=None,
            )
        )
        _read_environment_once(session)
        sessions[allow_private] = session
    return sessions[allow_private]


# What a requests Session adds to every request (Accept, Accept-Encoding, Connection).
_SESSION_HEADERS = {
    name: value for name, value in requests.utils.default_headers().items() if name != "User-Agent"
}


def _prepare(url: str, body: bytes, headers: dict[str, str]) -> requests.PreparedRequest:
    """The POST, prepared directly rather than by `Session.request`, whose merging of the
    session's cookies, auth, params and hooks (none of which a webhook send carries) took a
    sixth of the CPU time of a send (bench/delivery_throughput.py --profile)."""
    prepared = requests.PreparedRequest()
    prepared.prepare(method="POST", url=url, headers={**_SESSION_HEADERS, **headers}, data=body)
    return prepared


def _user_agent() -> str:
    return f"StationHooks/{settings.STATIONHOOKS_VERSION}"


def send_request(request: Request) -> AttemptResult:
    """POST one delivery; never raises. Connecting takes at most the connect timeout,
    each wait for the status line and headers at most the request timeout, and reading the
    body only what is left of it; at most 64 KiB of the answer is read."""
    started_at = timezone.now()
    clock = time.monotonic()
    headers = build_request_headers(
        body=request.body,
        message_id=request.message_id,
        timestamp=int(started_at.timestamp()),
        secret=request.secret,
        key=request.key,
        user_agent=_user_agent(),
        previous_secret=request.previous_secret,
    )
    logged_headers = {**headers, "api-key": mask_secret(request.key)} if request.key else headers
    result = AttemptResult(request.delivery_id, started_at, request_headers=logged_headers)
    total_s = settings.WEBHOOKS_REQUEST_TIMEOUT_S
    try:
        target = urlsplit(request.url)
        response = _session().send(
            _prepare(request.url, request.body, headers),
            proxies=_proxies_for(f"{target.scheme}://{target.netloc}"),
            timeout=(min(settings.WEBHOOKS_CONNECT_TIMEOUT_S, total_s), total_s),
            allow_redirects=False,
            stream=True,
        )
        with response:
            result.status_code = response.status_code
            result.response_headers = dict(response.headers)
            body = _read_body(response, started=clock, timeout_s=total_s)
            result.response_body = body[:RESPONSE_BODY_LOG_BYTES].decode("utf-8", errors="replace")
    except InvalidIPAddress as exc:
        result.error, result.error_kind = f"Refused target: {exc}", ErrorKind.REFUSED_TARGET
    except requests.Timeout as exc:
        result.error, result.error_kind = f"Timeout: {exc}", ErrorKind.TIMEOUT
    except requests.ConnectionError as exc:
        kind = ErrorKind.TIMEOUT if "timed out" in str(exc) else ErrorKind.CONNECTION
        result.error, result.error_kind = f"{kind.value.capitalize()} error: {exc}", kind
    except requests.RequestException as exc:
        result.error = f"Request error: {exc}"
    if result.error:
        result.status_code = None
    result.duration_ms = int((time.monotonic() - clock) * 1000)
    return result


def _read_body(response: requests.Response, *, started: float, timeout_s: float) -> bytes:
    """The first RESPONSE_READ_LIMIT_BYTES of the answer, one socket read at a time, each
    allowed only what is left of the attempt's `timeout_s` (from monotonic `started`).

    `iter_content` would wait for a whole chunk, and every byte that trickles in restarts
    the read timeout: a slow receiver could stretch an attempt past its lease. A connection
    closed mid-answer is a connection error (retried), like one closed before it."""
    body = bytearray()
    while len(body) < RESPONSE_READ_LIMIT_BYTES:
        remaining_s = started + timeout_s - time.monotonic()
        if remaining_s <= 0:
            raise requests.Timeout(f"Response not complete after {timeout_s:g} s")
        if sock := getattr(response.raw.connection, "sock", None):
            sock.settimeout(remaining_s)
        try:
            chunk = response.raw.read1(RESPONSE_READ_LIMIT_BYTES - len(body))
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.Timeout(f"Response not complete after {timeout_s:g} s") from exc
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError) as exc:
            raise requests.ConnectionError(exc) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise requests.RequestException(f"Unreadable response: {exc}") from exc
        if not chunk:
            break
        body += chunk
    return bytes(body)


_executor_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
SLOW_SEND_S = 0.05


def _send_all(outgoing: list[Request]) -> list[AttemptResult]:
    """Send a batch, concurrently only where that helps.

    One sender thread works through the batch; whenever a sender has been waiting on a
    receiver for more than SLOW_SEND_S, another joins, up to WEBHOOKS_SEND_THREADS, so a
    slow receiver holds up its own thread, not the batch. Against receivers that answer
    at once, one thread is quickest: more only contend for the GIL (16 % fewer
    deliveries/s against nginx, bench/delivery_throughput.py). Sends not started within
    WEBHOOKS_SEND_BUDGET_S come back unattempted and are released."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                settings.WEBHOOKS_SEND_THREADS, thread_name_prefix="delivery"
            )
    deadline = time.monotonic() + settings.WEBHOOKS_SEND_BUDGET_S
    todo = deque(enumerate(outgoing))
    results: list[AttemptResult | None] = [None] * len(outgoing)
    send_started: dict[int, float] = {}  # sender -> when its current send started

    def sender(number: int) -> None:
        while todo:
            try:
                index, request = todo.popleft()
            except IndexError:
                return
            if time.monotonic() > deadline:
                results[index] = AttemptResult(request.delivery_id, timezone.now(), attempted=False)
                continue
            send_started[number] = time.monotonic()
            try:
                results[index] = send_request(request)
            finally:
                del send_started[number]

    senders = [_executor.submit(sender, 0)]
    while wait(senders, timeout=SLOW_SEND_S).not_done:
        now = time.monotonic()
        if (
            todo
            and len(senders) < settings.WEBHOOKS_SEND_THREADS
            and any(now - started > SLOW_SEND_S for started in list(send_started.values()))
        ):
            senders.append(_executor.submit(sender, len(senders)))
    for finished in senders:
        finished.result()
    return results


def send_deliveries(*, ids: list[int] | None = None, limit: int = BATCH_SIZE) -> int:
    """Claim up to `limit` due deliveries (among `ids` if given), send, record.
    Returns how many were claimed."""
    deliveries = claim_due_deliveries(limit=limit, ids=ids)
    if not deliveries:
        return 0
    sendable = [d for d in deliveries if d.webhook.enabled]
    now = timezone.now()
    results = _send_all(
        [
            Request(
                delivery_id=d.pk,
                url=d.webhook.url,
                body=d.event.body.encode(),
                message_id=d.event.message_id,
                secret=d.webhook.secret,
                key=d.webhook.key,
                previous_secret=d.webhook.signing_previous_secret(now),
            )
            for d in sendable
        ]
    )
    _record(deliveries, {r.delivery_id: r for r in results})
    return len(deliveries)


def drain_due_deliveries(*, budget_s: float = DRAIN_BUDGET_S) -> int:
    """Send due deliveries batch after batch until none is due or the budget is spent."""
    deadline = time.monotonic() + budget_s
    sent = 0
    while time.monotonic() < deadline:
        claimed = send_deliveries(limit=BATCH_SIZE)
        sent += claimed
        if claimed < BATCH_SIZE:
            break
    return sent


def _record(deliveries: list[Delivery], results: dict[int, AttemptResult]) -> None:
    """Write every attempt and every delivery's next state in one transaction, and the
    webhooks' failure streaks (auto-disable) from the batch's outcomes."""
    now = timezone.now()
    attempts: list[DeliveryAttempt] = []
    delivered, failed, retried = Counter(), Counter(), Counter()
    tally = {
        DeliveryStatus.DELIVERED: delivered,
        DeliveryStatus.FAILED: failed,
        DeliveryStatus.PENDING: retried,
    }
    gone: set[int] = set()
    for delivery in deliveries:
        delivery.lease_expires_at, delivery.updated_at = None, now
        result = results.get(delivery.pk)
        if result is None:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            delivery.last_error, delivery.finished_at = "Webhook is disabled.", now
            continue
        if not result.attempted:
            continue
        delivery.attempt_count += 1
        attempts.append(
            DeliveryAttempt(
                delivery=delivery,
                number=delivery.attempt_count,
                manual=not delivery.auto_retry,
                started_at=result.started_at,
                duration_ms=result.duration_ms,
                request_headers=result.request_headers,
                response_status=result.status_code,
                response_headers=result.response_headers,
                response_body=result.response_body,
                error=result.error,
            )
        )
        outcome = classify(result.status_code, result.error_kind)
        step = next_step(
            outcome=outcome,
            attempts_made=delivery.attempt_count,
            retry_delays_s=settings.WEBHOOKS_RETRY_DELAYS_S,
            auto_retry=delivery.auto_retry,
            retry_after_s=parse_retry_after(result.response_headers.get("Retry-After"), now)
            if result.status_code == 429
            else None,
            jitter=random.uniform(-1, 1),
        )
        delivery.status = step.status
        delivery.last_status_code = result.status_code
        delivery.last_error = result.error or (
            "" if outcome is Outcome.DELIVERED else f"HTTP {result.status_code}"
        )
        if step.status == DeliveryStatus.PENDING:
            delivery.next_attempt_at = now + timedelta(seconds=step.retry_in_s)
        else:
            delivery.next_attempt_at, delivery.finished_at = None, now
        tally[step.status][delivery.webhook_id] += 1
        if step.disable_webhook:
            gone.add(delivery.webhook_id)
    with transaction.atomic():
        insert_all(attempts)
        _save_states(deliveries)
        _update_failure_streaks(delivered, failed, gone, now)
        count_outcomes(
            station_of={d.webhook_id: d.station_id for d in deliveries},
            delivered=delivered,
            failed=failed,
            retried=retried,
            now=now,
        )


RECORDED_FIELDS = (
    "status",
    "attempt_count",
    "next_attempt_at",
    "lease_expires_at",
    "last_status_code",
    "last_error",
    "finished_at",
    "updated_at",
)


def _save_states(deliveries: list[Delivery]) -> None:
    """Write the deliveries' new states with as few and as cheap UPDATEs as possible.

    Deliveries that end in the same state (the usual case: a batch delivered at once)
    share one UPDATE. The rest (jittered retries, mostly) get one UPDATE of the fields they
    share and one bulk_update of only the fields that differ: bulk_update builds a CASE per
    row and field, about 1 ms of CPU per delivery when it wrote every field of every row."""
    same_state: dict[tuple, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        same_state[tuple(getattr(delivery, name) for name in RECORDED_FIELDS)].append(delivery)
    distinct: list[Delivery] = []
    for state, group in same_state.items():
        if len(group) == 1:
            distinct += group
            continue
        Delivery.objects.filter(pk__in=[d.pk for d in group]).update(
            **dict(zip(RECORDED_FIELDS, state, strict=True))
        )
    if not distinct:
        return
    differing = [name for name in RECORDED_FIELDS if len({getattr(d, name) for d in distinct}) > 1]
    shared = {name: getattr(distinct[0], name) for name in RECORDED_FIELDS if name not in differing}
    if shared:
        Delivery.objects.filter(pk__in=[d.pk for d in distinct]).update(**shared)
    if differing:
        Delivery.objects.bulk_update(distinct, differing)


def _update_failure_streaks(
    delivered: Counter, failed: Counter, gone: set[int], now: datetime
) -> None:
    """A delivered message ends a webhook's failure streak; a streak of
    WEBHOOKS_AUTO_DISABLE_AFTER failed deliveries, or one 410 Gone, disables it."""
    if delivered:
        Webhook.objects.filter(pk__in=list(delivered), consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
    for webhook_id, count in failed.items():
        if webhook_id in delivered:
            continue
        Webhook.objects.filter(pk=webhook_id).update(
            consecutive_failures=F("consecutive_failures") + count
        )
    threshold = settings.WEBHOOKS_AUTO_DISABLE_AFTER
    disabled = Webhook.objects.filter(
        pk__in=list(failed), enabled=True, consecutive_failures__gte=threshold
    ).update(
        enabled=False,
        disabled_at=now,
        disabled_reason=f"Disabled after {threshold} consecutive failed deliveries.",
    )
    if disabled:
        logger.warning("Disabled %d webhook(s) after %d failed deliveries", disabled, threshold)
    if gone:
        logger.warning("Disabling webhooks %s: receiver answered 410 Gone", sorted(gone))
        Webhook.objects.filter(pk__in=gone, enabled=True).update(
            enabled=False,
            disabled_at=now,
            disabled_reason="The receiver answered 410 Gone.",
        )
