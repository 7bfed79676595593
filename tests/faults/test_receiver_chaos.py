"""Fault: a receiver that answers a seeded-random mix of 200, 500, 429 with `Retry-After`,
stalls and trickles past the request timeout, and connections closed before or in the
middle of an answer — against a real `qcluster` on PostgreSQL.

The receiver records, per webhook-id, every answer it gave. Once every delivery is
terminal, each one's attempt count, final status and logged attempts must be exactly what
the outcome rules (docs/delivery-rules.md) make of that sequence, each wait before a retry at least
what the rules ask (a 429's `Retry-After` replacing the schedule), and no attempt longer
than the request timeout allows."""

import time
from collections import Counter
from itertools import pairwise

import pytest
from django.db import transaction

from processes import stop_group
from tests.cluster_helpers import start_cluster
from tests.factories import WebhookFactory
from tests.faults.chaos_receiver import RETRY_AFTER_S, Answer, ChaosReceiver, seeded_mix
from tests.faults.runs import print_summary, publish_tracks_unqueued, unfinished
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery, DeliveryAttempt

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

DELIVERIES = 300
SEED = 8
ANSWERS = {
    Answer.OK: 0.40,
    Answer.SERVER_ERROR: 0.12,
    Answer.RATE_LIMITED: 0.12,
    Answer.STALL: 0.09,
    Answer.TRICKLE: 0.09,
    Answer.CUT: 0.09,
    Answer.DROP: 0.09,
}
REQUEST_TIMEOUT_S = 1
RETRY_DELAYS_S = [0, 1, 1]
CLUSTER_ENV = {
    "WEBHOOKS_REQUEST_TIMEOUT_S": str(REQUEST_TIMEOUT_S),
    "WEBHOOKS_CONNECT_TIMEOUT_S": "1",
    "WEBHOOKS_RETRY_DELAYS_S": ",".join(map(str, RETRY_DELAYS_S)),
    # auto-disable and the breaker are not under test here: a streak of failures must
    # neither stop the run nor hold its deliveries back
    "WEBHOOKS_AUTO_DISABLE_AFTER": "1000000",
    "WEBHOOKS_BREAKER_THRESHOLD": "1000000",
}
RUN_TIMEOUT_S = 120
JITTER = 0.2
CLOCK_SLACK_S = 0.05
# what the sender must log for each answer: (response status, start of the error)
LOGGED = {
    Answer.OK: (200, ""),
    Answer.SERVER_ERROR: (500, ""),
    Answer.RATE_LIMITED: (429, ""),
    Answer.STALL: (None, "Timeout"),
    Answer.TRICKLE: (None, "Timeout"),
    Answer.CUT: (None, "Connection error"),
    Answer.DROP: (None, "Connection error"),
}


def expected_outcome(answers: list[Answer]) -> tuple[DeliveryStatus, int]:
    """The outcome rules, restated: 2xx delivers; everything this receiver does otherwise
    (5xx, 429, timeout, connection error) is retried up to len(RETRY_DELAYS_S) times.
    Returns the final status and the number of attempts that leads to it."""
    for number, answer in enumerate(answers, start=1):
        if answer is Answer.OK:
            return DeliveryStatus.DELIVERED, number
        if number == 1 + len(RETRY_DELAYS_S):
            return DeliveryStatus.FAILED, number
    return DeliveryStatus.PENDING, len(answers)


def minimum_wait_s(answer: Answer, attempt_number: int) -> float:
    """The shortest wait the rules allow between attempt `attempt_number` and the next."""
    if answer is Answer.RATE_LIMITED:
        return RETRY_AFTER_S
    return RETRY_DELAYS_S[attempt_number - 1] * (1 - JITTER)


def test_every_delivery_follows_the_outcome_rules_for_what_the_receiver_answered():
    place_of: dict[str, int] = {}
    with ChaosReceiver(seeded_mix(SEED, ANSWERS, place_of.__getitem__), stall_s=2.5) as receiver:
        # given a few hundred committed deliveries to a misbehaving receiver
        webhook = WebhookFactory(url=receiver.url)
        with transaction.atomic():
            published = publish_tracks_unqueued(webhook, DELIVERIES)
        place_of.update((message_id, place) for place, message_id in enumerate(published))
        message_ids = set(published)

        # when a real cluster works until every delivery is delivered or failed
        cluster = start_cluster(**CLUSTER_ENV)
        try:
            deadline = time.monotonic() + RUN_TIMEOUT_S
            while time.monotonic() < deadline and unfinished():
                time.sleep(0.2)
        finally:
            stop_group(cluster, grace_s=10)

        # then each delivery's log is what the rules make of the answers it got
        deliveries = list(Delivery.objects.select_related("event").prefetch_related("attempts"))
        assert {d.event.message_id for d in deliveries} == message_ids
        assert set(receiver.served) == message_ids, "a message never reached the receiver"
        statuses = Counter(d.status for d in deliveries)
        assert sum(statuses[s] for s in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)) == (
            DELIVERIES
        ), statuses
        for delivery in deliveries:
            served = receiver.served[delivery.event.message_id]
            answers = [s.answer for s in served]
            attempts = sorted(delivery.attempts.all(), key=lambda a: a.number)
            logged = [(a.response_status, a.error[: len("Connection error")]) for a in attempts]
            context = (delivery.pk, answers, logged)
            assert (delivery.status, delivery.attempt_count) == expected_outcome(answers), context
            assert len(attempts) == len(answers) == delivery.attempt_count, context
            for attempt, answer in zip(attempts, answers, strict=True):
                status, error_start = LOGGED[answer]
                assert attempt.response_status == status, context
                assert attempt.error.startswith(error_start), context
                assert bool(attempt.error) == bool(error_start), context
                assert attempt.duration_ms <= (REQUEST_TIMEOUT_S + 1) * 1000, context
            for number, (this, following) in enumerate(pairwise(served), start=1):
                waited_s = following.arrived_at - this.arrived_at
                assert waited_s >= minimum_wait_s(this.answer, number) - CLOCK_SLACK_S, (
                    context,
                    number,
                    waited_s,
                )

        requests = receiver.requests_served()
        attempts_logged = DeliveryAttempt.objects.count()
        answered = Counter(s.answer for served in receiver.served.values() for s in served)
        print_summary(
            "receiver_chaos",
            deliveries=DELIVERIES,
            attempts=attempts_logged,
            lost=DELIVERIES - statuses[DeliveryStatus.DELIVERED] - statuses[DeliveryStatus.FAILED],
            duplicates=requests - attempts_logged,
            delivered=statuses[DeliveryStatus.DELIVERED],
            failed=statuses[DeliveryStatus.FAILED],
            answers=",".join(f"{a.value}:{answered[a]}" for a in Answer),
        )
        assert requests == attempts_logged  # every request the receiver saw is in the log
