"""The admin's soft delete says what it does, and a deleted record is read-only until it
is recovered (as the API answers 409): saving it never sends an `update` after `delete`."""

import json

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.urls import reverse

from stations.models import Program
from tests.factories import BroadcastFactory, ProgramFactory, StationFactory, WebhookFactory
from webhooks.event_types import PUSH
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def actions() -> list[tuple[str, int]]:
    events = Event.objects.filter(event_type=PUSH.name).order_by("id")
    return [(json.loads(e.body)["action"], json.loads(e.body)["model_id"]) for e in events]


@pytest.fixture
def station():
    station = StationFactory()
    WebhookFactory(station=station, event_type=PUSH.name, url="http://127.0.0.1:9/push")
    return station


def test_delete_confirmation_says_recoverable_push_and_what_points_at_it(admin_client, station):
    # given: a program seven live broadcasts (and one deleted) point at
    program = ProgramFactory(station=station, title="Morning Show")
    BroadcastFactory.create_batch(7, station=station, program=program)
    BroadcastFactory(station=station, program=program).delete()
    # when
    page = admin_client.get(reverse("admin:stations_program_delete", args=[program.pk]))
    # then
    text = page.content.decode()
    assert page.status_code == 200
    assert "Delete 1 program?" in text
    assert "soft delete" in text and "can be recovered" in text
    assert "gets a <code>delete</code> message" in text
    assert "7 broadcasts" in text and "still point at it" in text
    assert "will be deleted" not in text  # Django's stock wording


def test_bulk_delete_confirmation_lists_each_record_with_its_references(admin_client, station):
    linked, alone = ProgramFactory(station=station), ProgramFactory(station=station)
    BroadcastFactory(station=station, program=linked)
    page = admin_client.post(
        reverse("admin:stations_program_changelist"),
        {"action": "delete_selected", "_selected_action": [linked.pk, alone.pk]},
    )
    text = page.content.decode()
    assert "Delete 2 programs?" in text
    assert f"<strong>{linked}</strong>: 1 broadcast" in text
    assert f"<strong>{alone}</strong>: nothing else points at it" in text
    assert not Program.all_objects.filter(deleted_at__isnull=False).exists()  # not yet


def test_bulk_delete_says_how_to_recover_and_logs_history(admin_client, station):
    programs = ProgramFactory.create_batch(2, station=station)
    done = admin_client.post(
        reverse("admin:stations_program_changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in programs], "post": "yes"},
        follow=True,
    )
    assert "Deleted 2 programs (soft: recoverable)" in done.content.decode()
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 2


def test_a_deleted_record_is_read_only_and_cannot_be_saved(admin_client, station):
    # given
    program = ProgramFactory(station=station, title="Gone")
    program.delete()
    url = reverse("admin:stations_program_change", args=[program.pk])
    Event.objects.all().delete()
    # when: its page, then a save posted anyway
    page = admin_client.get(url)
    saved = admin_client.post(
        url, {"station": station.pk, "title": "Changed", "field_values": "{}"}
    )
    # then: a read-only page with a Recover button; the save is refused, nothing is sent
    text = page.content.decode()
    assert 'id="deleted-note"' in text and "read-only" in text
    assert 'id="recover"' in text
    assert 'name="_save"' not in text
    assert saved.status_code == 403
    assert Program.all_objects.get(pk=program.pk).title == "Gone"
    assert actions() == []


def test_recover_button_recovers_sends_recover_and_makes_it_editable(admin_client, station):
    program = ProgramFactory(station=station)
    admin_client.post(reverse("admin:stations_program_delete", args=[program.pk]), {"post": "yes"})
    recover = reverse("admin:stations_program_recover", args=[program.pk])
    # a GET changes nothing
    admin_client.get(recover)
    assert Program.all_objects.get(pk=program.pk).is_deleted
    # when
    page = admin_client.post(recover, follow=True)
    # then
    assert not Program.all_objects.get(pk=program.pk).is_deleted
    assert f"Recovered “{program}”." in page.content.decode()
    assert 'name="_save"' in page.content.decode()
    assert actions()[-2:] == [("delete", program.pk), ("recover", program.pk)]
    assert LogEntry.objects.filter(action_flag=CHANGE, change_message="Recovered.").count() == 1


def test_recover_needs_the_change_permission(client, django_user_model, station):
    # given: an operator who may view and delete programs, not change them
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="pw-123456", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_program", "delete_program"])
    )
    station.operators.add(user)
    program = ProgramFactory(station=station)
    program.delete()
    client.force_login(user)
    # when
    page = client.get(reverse("admin:stations_program_change", args=[program.pk]))
    client.post(reverse("admin:stations_program_recover", args=[program.pk]))
    # then
    assert 'id="recover"' not in page.content.decode()
    assert Program.all_objects.get(pk=program.pk).is_deleted
