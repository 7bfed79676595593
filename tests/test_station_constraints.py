"""The database refuses impossible schedules, and forms say why."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from tests.factories import BroadcastFactory, CampaignFactory, ItemFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("factory", [BroadcastFactory, CampaignFactory])
@pytest.mark.parametrize("stop_offset", [timedelta(0), timedelta(minutes=-5)])
def test_stop_must_be_after_start(factory, stop_offset):
    record = factory()
    record.stop = record.start + stop_offset
    with pytest.raises(IntegrityError), transaction.atomic():
        record.save()


def test_item_duration_cannot_be_negative():
    item = ItemFactory()
    item.duration = -1
    with pytest.raises(IntegrityError), transaction.atomic():
        item.save()


def test_item_stop_is_start_plus_duration():
    item = ItemFactory(duration=431)
    assert item.stop - item.start == timedelta(seconds=431)


def test_admin_form_explains_stop_before_start(admin_client):
    program = ProgramFactory()
    response = admin_client.post(
        reverse("admin:stations_broadcast_add"),
        {
            "station": program.station.pk,
            "program": program.pk,
            "title": "Backwards",
            "start_0": "2026-01-26",
            "start_1": "15:00:00",
            "stop_0": "2026-01-26",
            "stop_1": "14:00:00",
            "published": "on",
            "field_values": "{}",
        },
    )
    assert response.status_code == 200
    assert "Stop must be after start." in response.content.decode()
