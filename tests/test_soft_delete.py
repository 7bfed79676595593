"""Deletes of the six push models are soft; recover restores; the admin does both."""

import pytest
from django.urls import reverse

from stations.models import Broadcast, Contact, Program
from tests.factories import BroadcastFactory, ContactFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def test_delete_in_code_keeps_the_row_and_hides_it():
    # given
    contact = ContactFactory()
    # when
    contact.delete()
    # then
    assert not Contact.objects.filter(pk=contact.pk).exists()
    stored = Contact.all_objects.get(pk=contact.pk)
    assert stored.deleted_at is not None and stored.is_deleted


def test_recover_in_code_restores_the_row():
    contact = ContactFactory()
    contact.delete()
    contact.recover()
    assert Contact.objects.get(pk=contact.pk).deleted_at is None


def test_queryset_delete_is_soft():
    ContactFactory.create_batch(3)
    marked = Contact.objects.all().delete()
    assert marked == 3
    assert Contact.objects.count() == 0
    assert Contact.all_objects.count() == 3


def test_related_lookups_hide_deleted_but_foreign_keys_still_resolve():
    broadcast = BroadcastFactory()
    program = broadcast.program
    broadcast.delete()
    program.delete()
    assert list(program.broadcasts.all()) == []
    # A deleted broadcast still knows its (deleted) program: receivers fetch both.
    assert Broadcast.all_objects.get(pk=broadcast.pk).program == program


def test_admin_bulk_delete_is_soft(admin_client):
    # given
    programs = ProgramFactory.create_batch(2)
    BroadcastFactory(program=programs[0], station=programs[0].station)
    url = reverse("admin:stations_program_changelist")
    ids = [str(p.pk) for p in programs]
    # when: the confirmation page, then the confirmed post
    confirm = admin_client.post(url, {"action": "delete_selected", "_selected_action": ids})
    assert confirm.status_code == 200
    assert b"protected" not in confirm.content.lower()
    done = admin_client.post(
        url, {"action": "delete_selected", "_selected_action": ids, "post": "yes"}, follow=True
    )
    # then
    assert done.status_code == 200
    assert Program.objects.count() == 0
    assert Program.all_objects.filter(deleted_at__isnull=False).count() == 2


def test_admin_delete_view_is_soft(admin_client):
    program = ProgramFactory()
    url = reverse("admin:stations_program_delete", args=[program.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert Program.all_objects.get(pk=program.pk).is_deleted


def test_admin_deleted_filter_and_recover_action(admin_client):
    # given
    live, gone = ProgramFactory(title="Live Show"), ProgramFactory(title="Gone Show")
    gone.delete()
    url = reverse("admin:stations_program_changelist")
    # then: hidden by default, shown under the "Deleted" filter
    default = admin_client.get(url)
    assert b"Live Show" in default.content and b"Gone Show" not in default.content
    deleted = admin_client.get(url, {"deleted": "yes"})
    assert b"Gone Show" in deleted.content and b"Live Show" not in deleted.content
    # when
    response = admin_client.post(
        url + "?deleted=yes",
        {"action": "recover_selected", "_selected_action": [str(gone.pk)]},
        follow=True,
    )
    # then
    assert b"Recovered 1 object." in response.content
    assert Program.objects.filter(pk=gone.pk).exists()
    assert live.deleted_at is None


def test_admin_autocomplete_offers_only_live_objects(admin_client):
    live, gone = ProgramFactory(title="Live Show"), ProgramFactory(title="Gone Show")
    gone.delete()
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "stations",
            "model_name": "broadcast",
            "field_name": "program",
            "term": "Show",
        },
    )
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == [str(live.pk)]
