"""job_ids stay unique and follow commit order with concurrent writers (PostgreSQL)."""

import json
import threading
import time

import pytest
from django.db import connection, transaction

from stations.models import Contact
from tests.factories import StationFactory, WebhookFactory
from webhooks.event_types import PUSH
from webhooks.models import Event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
WRITES_PER_THREAD = 25


def _in_thread(target, *args):
    def run():
        try:
            target(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_parallel_writers_get_unique_gapless_job_ids():
    station = StationFactory()
    WebhookFactory(station=station, event_type=PUSH.name)
    errors = []

    def write(n):
        try:
            for i in range(WRITES_PER_THREAD):
                with transaction.atomic():
                    Contact.objects.create(station=station, firstname=f"T{n}", lastname=str(i))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [_in_thread(write, n) for n in range(THREADS)]
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    job_ids = [json.loads(body)["job_id"] for body in Event.objects.values_list("body", flat=True)]
    assert sorted(job_ids) == list(range(1, THREADS * WRITES_PER_THREAD + 1))
    # each writer saw its own job_ids rise
    for n in range(THREADS):
        own = [
            json.loads(e.body)["job_id"]
            for e in Event.objects.filter(
                model_id__in=Contact.objects.filter(firstname=f"T{n}").values("pk")
            ).order_by("id")
        ]
        assert own == sorted(own)


def test_a_later_job_id_cannot_commit_before_an_earlier_one():
    # given a transaction that took a job_id and has not committed yet
    station = StationFactory()
    WebhookFactory(station=station, event_type=PUSH.name)
    first_took_job, release_first = threading.Event(), threading.Event()
    order = []

    def first():
        with transaction.atomic():
            Contact.objects.create(station=station, firstname="First", lastname="Writer")
            first_took_job.set()
            release_first.wait(10)
        order.append("first committed")

    def second():
        with transaction.atomic():
            Contact.objects.create(station=station, firstname="Second", lastname="Writer")
        order.append("second committed")

    t1 = _in_thread(first)
    assert first_took_job.wait(10)
    # when a second writer changes the same station
    t2 = _in_thread(second)
    time.sleep(0.5)
    # then it waits for the first to commit (it cannot commit while the first has not)...
    assert order == []
    release_first.set()
    t1.join(10)
    t2.join(10)
    assert sorted(order) == ["first committed", "second committed"]
    # ...and gets the next job_id
    jobs = {
        json.loads(e.body)["model_id"]: json.loads(e.body)["job_id"] for e in Event.objects.all()
    }
    first_id = Contact.objects.get(firstname="First").pk
    second_id = Contact.objects.get(firstname="Second").pk
    assert jobs[second_id] == jobs[first_id] + 1
