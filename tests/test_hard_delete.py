"""`hard_delete()` is refused for records a push webhook has been told about: their
receivers may fetch them at any time after a message (a `delete` included), and a row
removed for real would answer 404 for an object they were never told is gone. Records
nobody was told about are removed."""

import pytest
from django.db import transaction

from stations.models import Item, Program
from stations.signals import PurgeRefused
from tests.factories import ItemFactory, ProgramFactory, StationFactory, WebhookFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db


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
