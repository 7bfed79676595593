"""The delivery engine: claim due deliveries, send them, record every attempt, continuously.

- **claim** (webhooks.claims): one short transaction leases due deliveries, oldest
  first, each endpoint up to its in-flight cap, none while its breaker is open or it is
  paused.
- **send** (webhooks.transport): every claimed delivery starts at once on the process's
  event loop, so no send waits for another.
- **record** (webhooks.recording): sends are recorded as they finish, each group being
  whatever finished while the previous one was written.

Each worker process runs one `Sender` (django-q2's post_spawn starts it): a coordinator
thread that claims and records, an event-loop thread that sends, and the due-time poller
(webhooks.due_poller) that wakes it when deliveries fall due. The coordinator claims while
the process has fewer than WEBHOOKS_MAX_IN_FLIGHT sends in flight, so newly due deliveries
go out while slow ones are still waiting for their receivers.

A claimed send that has not started within half the lease margin (webhooks.claims) is
released unattempted, so it can never outlive its lease.
"""

import asyncio
import logging
import os
import threading
import time
from collections import deque
from dataclasses import replace
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from guards.targets import address_refusal
from webhooks import destinations, recording, transport
from webhooks.claims import CLAIM_LIMIT, LEASE_MARGIN_S, claim_due_deliveries
from webhooks.models import Delivery
from webhooks.recording import Sent

__all__ = [
    "Sender",
    "drain_due_deliveries",
    "outgoing_request",
    "send_delivery_now",
    "transport_config",
]

logger = logging.getLogger("stationhooks.engine")

# A claimed send that has not started this long after its claim is released unattempted.
START_LIMIT_S = LEASE_MARGIN_S / 2
SLOW_SEND_S = 0.05
# Sends of one endpoint awaiting their answers at once while its lane holds a backlog:
# overlapping a few round trips lets one wake-up of the event loop handle several answers.
LANE_DEPTH = 4
RECORD_GROUP = 50
RECORD_GATHER_S = 0.02
DRAIN_BUDGET_S = 30.0
IDLE_WAIT_S = 1.0
ERROR_PAUSE_S = 1.0
STOP_GRACE_S = 5.0


def transport_config() -> transport.TransportConfig:
    return transport.TransportConfig(
        connect_timeout_s=settings.WEBHOOKS_CONNECT_TIMEOUT_S,
        request_timeout_s=settings.WEBHOOKS_REQUEST_TIMEOUT_S,
        user_agent=f"StationHooks/{settings.STATIONHOOKS_VERSION}",
        address_problem=None if settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS else address_refusal,
    )


def outgoing_request(delivery: Delivery, now: datetime) -> transport.OutgoingRequest:
    """What the transport sends for a delivery: the event's body, or the request the
    webhook's format makes of it (webhooks.destinations)."""
    webhook, event = delivery.webhook, delivery.event
    return transport.OutgoingRequest(
        delivery_id=delivery.pk,
        url=webhook.url,
        body=event.body.encode(),
        message_id=event.message_id,
        secret=webhook.secret,
        key=webhook.key,
        previous_secret=webhook.signing_previous_secret(now),
        formatted=destinations.render_for(webhook, event),
        custom_headers=tuple(webhook.headers_list()),
        is_test=event.is_test,
    )


# --- the continuous sender -----------------------------------------------------------


class Sender:
    """Claims, sends and records continuously: `run_forever` in a worker process, or
    `run_until_idle` for a caller that wants what is due sent now (tests, django-q2's sync
    mode). The thread that calls either is the coordinator (it alone touches the
    database); the sends run on an event loop in a thread of the sender's own."""

    def __init__(self, *, max_in_flight: int | None = None) -> None:
        self.max_in_flight = max_in_flight or settings.WEBHOOKS_MAX_IN_FLIGHT
        self._changed = threading.Condition()
        self._finished: list[Sent] = []
        self._woken = False
        self._stopping = False
        self._in_flight = 0
        self.claimed = 0
        self._unrecorded: list[Sent] = []  # a group whose recording failed, to try again
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(
            target=self._loop.run_forever, name="delivery-sends", daemon=True
        )
        self._loop_thread.start()
        self._tasks: set[asyncio.Task] = set()
        self._lanes: dict[int, deque] = {}
        self._transport = self._on_loop(self._open_transport())

    # the event loop's side

    def _on_loop(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _open_transport(self) -> transport.Transport:
        return transport.Transport(transport_config())

    def _task(self, coroutine) -> asyncio.Task:
        task = self._loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _start(self, sends: list[tuple[Delivery, transport.OutgoingRequest, float]]) -> None:
        """Queue the sends on their endpoints' lanes (a lane runs while it has sends)."""
        for send in sends:
            webhook_id = send[0].webhook_id
            lane = self._lanes.get(webhook_id)
            if lane is None:
                lane = self._lanes[webhook_id] = deque()
                self._task(self._run_lane(webhook_id, lane))
            lane.append(send)

    async def _run_lane(self, webhook_id: int, lane: deque) -> None:
        """An endpoint's sends, started oldest first: one at a time, each once the one
        before has been answered, while the lane holds only a few; up to LANE_DEPTH
        awaiting their answers while it holds a backlog. One that has waited SLOW_SEND_S
        counts as slow and the next starts beside it. So a receiver that answers at once
        gets a handful of messages in order, a backlog over a few keep-alive connections,
        and a slow receiver gets them side by side, up to its cap."""
        awaiting: deque[asyncio.Task] = deque()
        try:
            while lane:
                awaiting.append(self._task(self._send(*lane.popleft())))
                depth = LANE_DEPTH if len(lane) >= LANE_DEPTH else 1
                if lane and len(awaiting) >= depth:
                    done, _ = await asyncio.wait(
                        awaiting, timeout=SLOW_SEND_S, return_when=asyncio.FIRST_COMPLETED
                    )
                    if done:
                        awaiting = deque(task for task in awaiting if task not in done)
                    else:  # the oldest is slow: the next goes beside it
                        awaiting.popleft()
        finally:
            del self._lanes[webhook_id]

    async def _send(
        self, delivery: Delivery, request: transport.OutgoingRequest, start_by: float
    ) -> None:
        result = transport.AttemptResult(delivery.pk, timezone.now(), attempted=False)
        try:
            if time.monotonic() <= start_by:
                result = await self._transport.send(request)
        finally:  # whatever happens, the coordinator hears of it and records or releases
            with self._changed:
                self._finished.append(Sent(delivery, result, delivery.is_probe))
                self._changed.notify()

    # the coordinator's side

    def wake(self) -> None:
        """Deliveries may be due: claim at the next chance (the due-time poller calls it)."""
        with self._changed:
            self._woken = True
            self._changed.notify()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify()

    def close(self) -> None:
        """Close the connections and the event loop (after the run has returned)."""
        self._on_loop(self._transport.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._loop_thread.join(timeout=5)

    def _submit(self, deliveries: list[Delivery]) -> None:
        now = timezone.now()
        start_by = time.monotonic() + START_LIMIT_S
        sends, failed = [], []
        for delivery in deliveries:
            if delivery.webhook.enabled:
                sends.append((delivery, outgoing_request(delivery, now), start_by))
            else:
                failed.append(Sent(delivery, None, False))
        if failed:
            recording.record(failed)
        if sends:
            self._in_flight += len(sends)
            self._loop.call_soon_threadsafe(self._start, sends)

    def _take_finished(self, wait_s: float, *, wait_for_wake: bool) -> tuple[list[Sent], bool]:
        """What finished (waiting up to `wait_s` for something to do), and whether the
        poller woke us. Once a send has finished, a little longer for others (at most
        RECORD_GATHER_S, up to RECORD_GROUP of them) while sends are still in flight: one
        recording of many costs much less than many of one."""
        with self._changed:
            if wait_s and not (self._finished or (wait_for_wake and self._woken)):
                self._changed.wait(wait_s)
            if self._finished:
                gather_until = time.monotonic() + RECORD_GATHER_S
                while len(self._finished) < min(RECORD_GROUP, self._in_flight):
                    left_s = gather_until - time.monotonic()
                    if left_s <= 0 or not self._changed.wait(left_s):
                        break
            finished, self._finished = self._finished, []
            woken, self._woken = self._woken, False
        return finished, woken

    def _record(self, finished: list[Sent]) -> None:
        """Record a group; a group that cannot be recorded now (the database is away) is
        tried again with the next one, as long as its leases last."""
        group = self._unrecorded + finished
        self._unrecorded = []
        try:
            recording.record(group)
        except Exception:
            now = timezone.now()
            self._unrecorded = [s for s in group if s.delivery.lease_expires_at > now]
            close_old_connections()
            logger.exception(
                "Could not record %d sends; trying again (%d whose lease ran out are "
                "left to be sent again)",
                len(group),
                len(group) - len(self._unrecorded),
            )
            time.sleep(ERROR_PAUSE_S)

    def _step(self, *, claim: bool, at_cap: set[int], finished: list[Sent]) -> tuple[bool, set]:
        """Record what finished, then claim if asked and there is room. Returns whether to
        claim again at once and the webhooks that were at their cap."""
        claim_again = False
        if finished:
            self._in_flight -= sum(s.result is not None for s in finished)
            claim_again = bool({s.delivery.webhook_id for s in finished} & at_cap)
            self._record(finished)
        room = self.max_in_flight - self._in_flight
        if claim and room > 0 and not self._stopping:
            limit = min(room, CLAIM_LIMIT)
            claimed = claim_due_deliveries(limit=limit)
            self.claimed += len(claimed.deliveries)
            self._submit(claimed.deliveries)
            at_cap = claimed.at_cap
            claim_again = len(claimed.deliveries) == limit
        return claim_again, at_cap

    def run_until_idle(self, *, budget_s: float = DRAIN_BUDGET_S) -> int:
        """Claim what is due (batch after batch while they come full, or while an endpoint
        at its cap makes room), send and record it all, starting no claim after
        `budget_s`. Deliveries that fall due meanwhile (an immediate retry) are left to
        the next run. Returns how many deliveries it claimed."""
        deadline = time.monotonic() + budget_s
        claimed_before = self.claimed
        claim, at_cap = True, set()
        while True:
            wait_s = IDLE_WAIT_S if self._in_flight and not claim else 0
            finished, _ = self._take_finished(wait_s, wait_for_wake=False)
            in_time = time.monotonic() < deadline
            claim_again, at_cap = self._step(
                claim=in_time and claim, at_cap=at_cap, finished=finished
            )
            claim = claim_again
            if not self._in_flight and not self._finished and not claim_again:
                return self.claimed - claimed_before

    def run_forever(self) -> None:
        """The worker process's loop; returns after `stop()` once the sends in flight
        have been recorded, or STOP_GRACE_S has passed."""
        parent = os.getppid()
        claim, at_cap = True, set()
        stop_by = None
        while True:
            try:
                ready = claim and self._in_flight < self.max_in_flight
                finished, woken = self._take_finished(
                    0 if ready else IDLE_WAIT_S, wait_for_wake=True
                )
                if os.getppid() != parent and not self._stopping:
                    logger.warning("The worker's supervisor is gone; sending no more")
                    self.stop()
                claim, at_cap = self._step(claim=claim or woken, at_cap=at_cap, finished=finished)
            except Exception:
                logger.exception("The delivery engine's step failed; trying again")
                close_old_connections()  # a connection that failed is closed, and reopened
                time.sleep(ERROR_PAUSE_S)
                claim = True
            if self._stopping:
                stop_by = stop_by or time.monotonic() + STOP_GRACE_S
                if not self._in_flight or time.monotonic() > stop_by:
                    return


def drain_due_deliveries(*, budget_s: float = DRAIN_BUDGET_S) -> int:
    """Send what is due now from this thread, until nothing is due or in flight (the test
    settings' sync mode, and a caller without a worker). Returns how many were claimed."""
    sender = Sender()
    try:
        return sender.run_until_idle(budget_s=budget_s)
    finally:
        sender.close()


def send_delivery_now(delivery_id: int, *, timeout_s: float | None = None) -> None:
    """Send one due delivery now from this thread, whatever its endpoint's cap or breaker,
    and record the attempt: the admin's test event, which shows the receiver's answer.
    Takes at most the request timeout (`timeout_s`, else WEBHOOKS_REQUEST_TIMEOUT_S) plus
    two short transactions. A delivery that is not due (or held by a worker) is left
    alone."""
    claimed = claim_due_deliveries(limit=1, ids=[delivery_id]).deliveries
    if not claimed:
        return
    delivery = claimed[0]
    if not delivery.webhook.enabled:
        recording.record([Sent(delivery, None, False)])
        return
    config = transport_config()
    if timeout_s is not None:
        config = replace(
            config,
            request_timeout_s=min(timeout_s, config.request_timeout_s),
            connect_timeout_s=min(timeout_s, config.connect_timeout_s),
        )
    result = transport.send_now(outgoing_request(delivery, timezone.now()), config)
    recording.record([Sent(delivery, result, False)])
