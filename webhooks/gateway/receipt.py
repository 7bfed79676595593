"""Receiving one request at a source's URL: verify it, keep it, claim its de-duplication
key, and say what to answer (the view, webhooks.gateway.views, only speaks HTTP).

Every request that reaches an enabled source is kept, whatever the answer:
- 401: it failed verification (webhooks.gateway.verifiers), checked at receipt, on the
  raw bytes, timestamps included;
- 415 / 400: verified, but not JSON, or not what its kind sends (webhooks.gateway.bodies);
- 413: its body is over the source's limit (kept without the body);
- 200 `{"duplicate": true}`: it repeats a request that is still held (see
  InboundRequest): not processed again;
- 202: accepted, and durable: the row is committed (with its announcement to the workers,
  webhooks.gateway.processing) before the answer.

De-duplication claims the key with the insert itself (INSERT … ON CONFLICT DO NOTHING on
the unique index of held keys), never check-then-insert: of two copies arriving at once,
exactly one is accepted. A holder that is older than the source's window, or whose
processing failed, lets go of the key, and the newcomer is accepted in its place.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from inbox import insert_announced
from webhooks.choices import InboundOutcome, InboundStatus, SourceKind
from webhooks.gateway.bodies import BodyProblem, dedup_key, read_body
from webhooks.gateway.processing import (
    INBOUND_CHANNEL,
    first_processing_time,
    process_due_requests,
)
from webhooks.gateway.verifiers import verify
from webhooks.models import InboundRequest, InboundSource

__all__ = ["Answer", "receive", "receive_oversized", "redact_headers"]

REDACTED = "[redacted]"
ALWAYS_REDACTED = frozenset(
    {"authorization", "proxy-authorization", "cookie", "api-key", "x-api-key"}
)
HELD_KEY_CONFLICT = "(source_id, dedup_key) WHERE holds_key"
CLAIM_TRIES = 3


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def redact_headers(headers: Mapping[str, str], source: InboundSource) -> dict[str, str]:
    """The headers to keep: those that carry credentials (Authorization, Cookie, API keys,
    the source's own key header) replaced by a mark. Signatures are kept: they reveal
    nothing of the secret and show what the sender signed."""
    secret_names = set(ALWAYS_REDACTED)
    if source.key and source.header_name:
        secret_names.add(source.header_name.lower())
    return {
        name: REDACTED if name.lower() in secret_names else value for name, value in headers.items()
    }


def _new_request(
    source: InboundSource,
    headers: Mapping[str, str],
    body: bytes,
    client_ip: str | None,
    now: datetime,
) -> InboundRequest:
    content_type = next((v for n, v in headers.items() if n.lower() == "content-type"), "")
    return InboundRequest(
        source=source,
        station_id=source.station_id,
        received_at=now,
        headers=redact_headers(headers, source),
        body=body,
        content_type=content_type[:200],
        client_ip=client_ip,
    )


def _reject(request: InboundRequest, status: int, cause: str) -> Answer:
    request.outcome, request.response_status, request.cause = (
        InboundOutcome.REJECTED,
        status,
        cause[:300],
    )
    insert_announced(request, channel=INBOUND_CHANNEL, process=process_due_requests, announce=False)
    return Answer(status, {"id": request.pk, "status": "rejected", "detail": cause})


def _holder(request: InboundRequest) -> InboundRequest | None:
    return (
        InboundRequest.objects.filter(
            source_id=request.source_id, dedup_key=request.dedup_key, holds_key=True
        )
        .only("pk", "received_at", "status")
        .first()
    )


def _claim(request: InboundRequest, source: InboundSource, now: datetime) -> Answer:
    """Insert `request` accepted, holding its key, or as the duplicate of its holder."""
    request.outcome, request.response_status = InboundOutcome.ACCEPTED, 202
    request.status = InboundStatus.PENDING
    request.process_after = first_processing_time(source.kind, now)
    request.holds_key = bool(request.dedup_key)
    window_start = now - timedelta(seconds=source.dedup_window_s)
    by_body = _deduplicated_by_body(source.kind)
    for _ in range(CLAIM_TRIES):
        if insert_announced(
            request,
            channel=INBOUND_CHANNEL,
            process=process_due_requests,
            conflict=HELD_KEY_CONFLICT if request.holds_key else "",
        ):
            return Answer(202, {"id": request.pk, "status": "accepted"})
        holder = _holder(request)
        if holder is None:
            continue  # it let go meanwhile
        expired = by_body and holder.received_at < window_start
        if expired or holder.status == InboundStatus.FAILED:
            InboundRequest.objects.filter(pk=holder.pk, holds_key=True).update(holds_key=False)
            continue
        request.outcome, request.response_status = InboundOutcome.DUPLICATE, 200
        request.status, request.process_after, request.holds_key = InboundStatus.NONE, None, False
        request.duplicate_of_id = holder.pk
        request.cause = f"Duplicate of request #{holder.pk} ({request.dedup_key[:200]})."[:300]
        insert_announced(
            request, channel=INBOUND_CHANNEL, process=process_due_requests, announce=False
        )
        return Answer(
            200,
            {"id": request.pk, "status": "duplicate", "duplicate": True, "duplicate_of": holder.pk},
        )
    raise RuntimeError(f"Could not claim the key {request.dedup_key!r}: it keeps changing hands.")


def _deduplicated_by_body(kind: str) -> bool:
    """Whether requests of `kind` carry no id of their own (their body hash stands in)."""
    return kind not in (SourceKind.STANDARD_WEBHOOKS, SourceKind.RADIOMANAGER)


def _key(source: InboundSource, headers: Mapping[str, str], body: bytes, read: Any) -> str:
    """The request's de-duplication key; none for a body hash with the window off."""
    if _deduplicated_by_body(source.kind) and not source.dedup_window_s:
        return ""
    return dedup_key(source.kind, headers, body, read)


def receive(
    *,
    source: InboundSource,
    headers: Mapping[str, str],
    body: bytes,
    client_ip: str | None,
    now: datetime,
) -> Answer:
    """Verify, keep and answer one request that reached `source` (see the module
    docstring). `headers` as received; database errors propagate (the view answers 503)."""
    request = _new_request(source, headers, body, client_ip, now)
    lower = {name.lower(): value for name, value in headers.items()}
    verdict = verify(source.verifier_config(), lower, body, now=now)
    request.verification = verdict.checked[:300]
    if not verdict.ok:
        return _reject(request, 401, verdict.cause)
    try:
        _, read = read_body(source.kind, body, request.content_type)
    except BodyProblem as problem:
        return _reject(request, problem.status, str(problem))
    request.dedup_key = _key(source, lower, body, read)
    if source.kind == SourceKind.RADIOMANAGER:
        request.sequence = read.job_id
    return _claim(request, source, now)


def receive_oversized(
    *,
    source: InboundSource,
    headers: Mapping[str, str],
    size: int | None,
    client_ip: str | None,
    now: datetime,
) -> Answer:
    """Keep, without its body, a request whose body is over the source's limit: 413."""
    request = _new_request(source, headers, b"", client_ip, now)
    shown = f"{size} bytes" if size is not None else "more"
    return _reject(
        request,
        413,
        f"The body is over this source's limit: {shown}, at most {source.max_body_bytes}.",
    )
