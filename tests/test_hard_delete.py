"""`hard_delete()` is refused for records a push webhook has been told about: their
receivers may fetch them at any time after a message (a `delete` included), and a row
removed for real would answer 404 for an object they were never told is gone. Records
nobody was told about are removed."""

import threading
import time

import pytest
from django.db import connection, transaction

from stations.models import Item, Program
from stations.signals import PurgeRefused
from tests.factories import ItemFactory, ProgramFactory, StationFactory, WebhookFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db

GUARD_S = 30  # a failure guard: a passing run never waits this long


def test_a_record_no_push_webhook_heard_of_is_removed():
    program = ProgramFactory()
    WebhookFactory(station=program.station)  # a newtrack webhook: not told about programs
    program.hard_delete()
    assert not Program.all_objects.filter(pk=program.pk).exists()


def test_a_record_a_push_webhook_was_told_about_is_refused_soft_deleted_or_not():
    station = StationFactory()
    WebhookFactory(station=station, name="Schedule", event_type="push")
    program = ProgramFactory(station=station)
    assert Event.objects.filter(model_id=program.pk).exists()
    with pytest.raises(PurgeRefused, match="Schedule"):
        program.hard_delete()
    program.delete()  # soft: the delete message goes out, the row stays
    with pytest.raises(PurgeRefused, match="soft-delete"):
        Program.all_objects.get(pk=program.pk).hard_delete()
    assert Program.all_objects.filter(pk=program.pk).exists()


def test_a_bulk_hard_delete_removes_nothing_when_one_row_was_announced():
    station = StationFactory()
    quiet = ItemFactory(station=station)  # before the webhook: never announced
    WebhookFactory(station=station, name="Items", event_type="push", models=["item"])
    told = ItemFactory(station=station)
    with pytest.raises(PurgeRefused, match="item"), transaction.atomic():
        Item.all_objects.filter(pk__in=[quiet.pk, told.pk]).hard_delete()
    assert Item.all_objects.filter(pk__in=[quiet.pk, told.pk]).count() == 2
    Item.all_objects.filter(pk=quiet.pk).hard_delete()
    assert not Item.all_objects.filter(pk=quiet.pk).exists()


def test_only_the_same_model_counts():
    """An announced item with the id of a program does not hold the program back."""
    station = StationFactory()
    WebhookFactory(station=station, event_type="push", models=["item"])
    item = ItemFactory(station=station)
    program = ProgramFactory(station=station)
    Event.objects.filter(model_id=item.pk).update(model_id=program.pk)
    program.hard_delete()
    assert not Program.all_objects.filter(pk=program.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_purge_waits_for_a_change_being_committed_and_then_refuses():
    """A record never announced, changed by another transaction (its first push message
    written, not yet committed) while it is hard-deleted: the purge waits for that commit
    and sees the message."""
    station = StationFactory()
    program = ProgramFactory(station=station)  # before the webhook: never announced
    WebhookFactory(station=station, name="Schedule", event_type="push")
    changed, committing = threading.Event(), threading.Event()

    def change_and_commit_later():
        try:
            with transaction.atomic():
                renamed = Program.objects.get(pk=program.pk)
                renamed.title = "Renamed"
                renamed.save()
                changed.set()
                committing.wait(GUARD_S)
                time.sleep(0.5)  # the purge is waiting by now
        finally:
            connection.close()

    changer = threading.Thread(target=change_and_commit_later)
    changer.start()
    try:
        assert changed.wait(GUARD_S)
        committing.set()
        with pytest.raises(PurgeRefused, match="Schedule"):
            Program.all_objects.get(pk=program.pk).hard_delete()
    finally:
        committing.set()
        changer.join(GUARD_S)
    assert Program.all_objects.filter(pk=program.pk).exists()
