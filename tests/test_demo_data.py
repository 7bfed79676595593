"""`make run` loads the demo station once and creates an admin only on an empty database."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from stations.models import (
    Broadcast,
    Campaign,
    Contact,
    Encoder,
    Item,
    Presenter,
    Program,
    Station,
    Stream,
)

pytestmark = pytest.mark.django_db


def test_demo_data_is_a_realistic_week_and_idempotent():
    # when
    call_command("load_demo_data")
    counts = [m.objects.count() for m in (Station, Program, Broadcast, Item, Campaign)]
    call_command("load_demo_data")
    # then
    assert [m.objects.count() for m in (Station, Program, Broadcast, Item, Campaign)] == counts
    assert counts[0] == 1
    assert counts[1] == 6 and counts[2] == 42 and counts[3] > 1000 and counts[4] == 3
    assert Presenter.objects.count() == 4 and Contact.objects.count() == 4
    assert Encoder.objects.count() == 1 and Stream.objects.count() == 2
    days = {b.start.date() for b in Broadcast.objects.all()}
    assert len(days) == 7
    # items of a broadcast follow each other without gaps
    broadcast = Broadcast.objects.first()
    items = list(broadcast.items.order_by("start"))
    assert items[0].start == broadcast.start
    assert all(a.stop == b.start for a, b in itertools.pairwise(items))


def test_ensure_admin_uses_admin_password_and_runs_once(monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PASSWORD", "s3cret-demo-pass")
    call_command("ensure_admin")
    call_command("ensure_admin")
    User = get_user_model()
    assert User.objects.count() == 1
    admin = User.objects.get()
    assert admin.username == "admin" and admin.is_superuser
    assert admin.check_password("s3cret-demo-pass")
    assert "s3cret-demo-pass" not in capsys.readouterr().out


def test_ensure_admin_generates_and_prints_a_password(monkeypatch, capsys):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    call_command("ensure_admin")
    printed = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    assert get_user_model().objects.get(username="admin").check_password(printed)


def test_demo_station_is_visible_in_the_admin(admin_client):
    call_command("load_demo_data")
    for name in [
        "station",
        "program",
        "broadcast",
        "item",
        "presenter",
        "contact",
        "campaign",
        "encoder",
        "stream",
    ]:
        response = admin_client.get(reverse(f"admin:stations_{name}_changelist"))
        assert response.status_code == 200, name
    response = admin_client.get(reverse("admin:stations_program_changelist"))
    assert b"Morning Drive" in response.content
    item = Item.objects.first()
    detail = admin_client.get(reverse("admin:stations_item_change", args=[item.pk]))
    assert detail.status_code == 200
