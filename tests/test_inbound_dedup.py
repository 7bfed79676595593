"""De-duplication at the gateway: the key is claimed by the insert itself, so of copies
arriving at once exactly one is accepted; a duplicate of a request whose processing failed
is accepted and processed; body hashes count within the source's window only; a failing
request is retried, then marked failed."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from stations.models import TrackPlay
from tests.factories import InboundSourceFactory
from tests.inbound_helpers import (
    XTRA_NEWTRACK,
    as_bytes,
    post,
    standard_webhooks_headers,
    xtra_headers,
)
from webhooks.gateway.processing import PROCESSING_RETRY_DELAYS_S, process_due_requests
from webhooks.models import InboundRequest

SECRET = "xtra-shared-secret-1"
BODY = as_bytes(XTRA_NEWTRACK)
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def send(client, source, body=BODY):
    return post(client, source, body, xtra_headers(body, SECRET))


@pytest.mark.django_db
def test_a_duplicate_of_a_failed_request_is_accepted_and_processed(client, capture_on_commit):
    # given a request whose processing failed for good
    source = InboundSourceFactory(secret=SECRET)
    first = send(client, source)
    InboundRequest.objects.filter(pk=first.json()["id"]).update(status="failed")
    # when the sender sends it again
    with capture_on_commit(execute=True):
        again = send(client, source)
    # then it is accepted in its place and processed
    assert again.status_code == 202
    failed, retried = InboundRequest.objects.order_by("pk")
    assert (failed.holds_key, retried.holds_key, retried.status) == (False, True, "processed")
    assert TrackPlay.objects.count() == 1


@pytest.mark.django_db
def test_a_duplicate_of_a_request_still_pending_is_a_duplicate(client):
    source = InboundSourceFactory(secret=SECRET)
    send(client, source)  # its processing has not run (no commit in this test)
    assert send(client, source).json()["duplicate"] is True


@pytest.mark.django_db
def test_body_hashes_count_within_the_window_only(client):
    source = InboundSourceFactory(secret=SECRET, dedup_window_s=60)
    first = send(client, source)
    assert send(client, source).status_code == 200
    InboundRequest.objects.filter(pk=first.json()["id"]).update(
        received_at=timezone.now() - timedelta(seconds=61)
    )
    assert send(client, source).status_code == 202
    source.dedup_window_s = 0
    source.save()
    assert send(client, source).status_code == 202
    assert InboundRequest.objects.filter(outcome="accepted").count() == 3


@pytest.mark.django_db
def test_webhook_ids_are_duplicates_whatever_their_age(client):
    source = InboundSourceFactory(kind="standard-webhooks", secret=WHSEC, dedup_window_s=60)
    body = b'{"type": "invoice.paid"}'
    assert post(client, source, body, standard_webhooks_headers(body, WHSEC)).status_code == 202
    InboundRequest.objects.update(received_at=timezone.now() - timedelta(days=7))
    # the same message id, signed again (the sender's retry)
    again = post(client, source, body, standard_webhooks_headers(body, WHSEC))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    other = post(client, source, body, standard_webhooks_headers(body, WHSEC, message_id="msg_2"))
    assert other.status_code == 202


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_copies_arriving_at_once_make_exactly_one_accepted_request():
    # given a source, and eight senders ready to post the same request together
    source = InboundSourceFactory(secret=SECRET)
    copies = 8
    start = threading.Barrier(copies)
    answers: list[int] = []

    def sender():
        client = Client()
        start.wait()
        try:
            answers.append(send(client, source).status_code)
        finally:
            connection.close()

    # when they all post at once
    threads = [threading.Thread(target=sender) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then one was accepted and every other one is a duplicate of it
    assert sorted(answers) == [200] * (copies - 1) + [202]
    accepted = InboundRequest.objects.get(outcome="accepted")
    duplicates = InboundRequest.objects.filter(outcome="duplicate")
    assert duplicates.count() == copies - 1
    assert set(duplicates.values_list("duplicate_of", flat=True)) == {accepted.pk}


@pytest.mark.django_db
def test_a_request_whose_processing_fails_is_retried_then_marked_failed():
    # given an accepted request its kind cannot read (as "accept anyway" makes them)
    source = InboundSourceFactory(secret=SECRET)
    request = InboundRequest.objects.create(
        source=source,
        station=source.station,
        received_at=timezone.now(),
        outcome="accepted",
        response_status=202,
        body=b'{"event": "nothing we know"}',
        content_type="application/json",
        status="pending",
        process_after=timezone.now(),
    )
    # when the workers try it as often as they would
    for attempt, delay_s in enumerate(PROCESSING_RETRY_DELAYS_S, start=1):
        assert process_due_requests() == 1
        request.refresh_from_db()
        assert (request.status, request.attempts) == ("pending", attempt)
        assert request.process_after > timezone.now() + timedelta(seconds=delay_s - 5)
        assert "event must be station.studio.newtrack" in request.error
        assert process_due_requests() == 0  # not due yet
        InboundRequest.objects.filter(pk=request.pk).update(process_after=timezone.now())
    assert process_due_requests() == 1
    # then it is failed, with the error, and no longer due
    request.refresh_from_db()
    assert (request.status, request.attempts, request.process_after) == ("failed", 3, None)
    assert request.error.startswith("webhooks.gateway.bodies.BodyProblem: event must be")
    assert process_due_requests() == 0
