"""The inbound gateway in the admin: sources (credentials write-only and required, the
ingest URL with its copy button, rotation with an overlap), the inbound log (filters,
search, the detail page and its links), replay, the audited "accept anyway", the
dashboard's counts, retention, and operators kept to their own stations."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from stations.models import TrackPlay
from tests.factories import InboundSourceFactory, StationFactory, WebhookFactory
from tests.inbound_helpers import XTRA_NEWTRACK, as_bytes, post, xtra_headers
from webhooks.models import Event, InboundRequest, InboundSource
from webhooks.retention import prune_inbound_log

pytestmark = pytest.mark.django_db

SECRET = "xtra-shared-secret-1"


@pytest.fixture
def station():
    return StationFactory(name="Radio Example")


@pytest.fixture
def source(station):
    return InboundSourceFactory(station=station, name="Studio xtra", kind="xtra", secret=SECRET)


def track(title: str) -> bytes:
    return as_bytes({**XTRA_NEWTRACK, "track": {**XTRA_NEWTRACK["track"], "title": title}})


def send(client, source, body: bytes, capture_on_commit, *, secret: str = SECRET):
    with capture_on_commit(execute=True):
        return post(client, source, body, xtra_headers(body, secret))


def history(obj) -> list[str]:
    return [
        entry.change_message
        for entry in LogEntry.objects.filter(object_id=str(obj.pk)).order_by("pk")
    ]


def source_form(station, **fields) -> dict:
    return {
        "station": station.pk,
        "name": "New sender",
        "kind": "xtra",
        "enabled": "on",
        "auth": "hmac",
        "header_name": "X-Webhook-Signature",
        "algorithm": "sha256",
        "encoding": "hex",
        "max_body_bytes": 262144,
        "dedup_window_s": 86400,
        **fields,
    }


# --- Sources ---------------------------------------------------------------------------


def test_a_source_without_the_secret_its_kind_signs_with_is_refused(admin_client, station):
    response = admin_client.post(reverse("admin:webhooks_inboundsource_add"), source_form(station))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["new_secret"] == ["This kind of source signs its requests: enter its secret."]
    assert not InboundSource.objects.exists()
    # a RadioManager source needs its api-key, a generic API-key source its header too
    response = admin_client.post(
        reverse("admin:webhooks_inboundsource_add"),
        source_form(station, kind="generic", auth="api-key", header_name=""),
    )
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"new_key", "header_name"}


def test_a_source_keeps_its_secret_encrypted_and_never_shows_it(admin_client, station):
    response = admin_client.post(
        reverse("admin:webhooks_inboundsource_add"),
        source_form(station, new_secret="a-long-xtra-secret-123"),
    )
    assert response.status_code == 302
    source = InboundSource.objects.get()
    assert source.secret == "a-long-xtra-secret-123"
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_inboundsource")
        assert "a-long-xtra-secret-123" not in cursor.fetchone()[0]
    page = admin_client.get(reverse("admin:webhooks_inboundsource_change", args=[source.pk]))
    html = page.content.decode()
    assert "a-long-xtra-secret-123" not in html
    # the ingest URL, whole, with a copy button that points at it (no inline script)
    assert f'<code id="ingest-url">http://testserver/in/{source.token}/</code>' in html
    assert 'data-copy="#ingest-url"' in html
    # saving again without a new secret keeps it
    admin_client.post(
        reverse("admin:webhooks_inboundsource_change", args=[source.pk]),
        source_form(station, name="Renamed"),
    )
    source.refresh_from_db()
    assert (source.name, source.secret) == ("Renamed", "a-long-xtra-secret-123")
    # and the list shows only the start of the token
    listed = admin_client.get(reverse("admin:webhooks_inboundsource_changelist")).content.decode()
    assert "Renamed" in listed and source.token not in listed


def test_relay_webhooks_must_be_the_stations_own(admin_client, station):
    other = WebhookFactory(station=StationFactory(), event_type="inbound.relay")
    response = admin_client.post(
        reverse("admin:webhooks_inboundsource_add"),
        source_form(station, kind="generic", auth="none", relay_to=[other.pk]),
    )
    assert response.context["adminform"].form.errors["relay_to"] == [
        "Relay webhooks must belong to the source's station."
    ]


def test_rotating_the_token_keeps_the_old_url_working_for_the_overlap(
    admin_client, client, source, capture_on_commit
):
    old_token = source.token
    url = reverse("admin:webhooks_inboundsource_rotate_token", args=[source.pk])
    assert admin_client.get(url).status_code == 200
    rotated = admin_client.post(url, {"overlap_s": 3600}, follow=True).content.decode()
    assert "the previous one works on for 1 hour" in rotated
    source.refresh_from_db()
    assert source.token != old_token
    body = track("Overlap")
    # both URLs work during the overlap
    assert send(client, source, body, capture_on_commit).status_code == 202
    with capture_on_commit(execute=True):
        again = post(
            client,
            source,
            track("Old URL"),
            xtra_headers(track("Old URL"), SECRET),
            token=old_token,
        )
    assert again.status_code == 202
    assert history(source) == ["Rotated the ingest URL token (overlap: 1 hour)."]
    # with no overlap, the old URL stops at once
    admin_client.post(url, {"overlap_s": 0})
    previous = source.token
    source.refresh_from_db()
    response = post(client, source, body, xtra_headers(body, SECRET), token=previous)
    assert response.status_code == 404


# --- The inbound log -------------------------------------------------------------------


@pytest.fixture
def logged(client, source, capture_on_commit, httpserver, station):
    """One accepted (and processed) request, one rejected, one duplicate."""
    httpserver.expect_request("/now").respond_with_data("ok")
    WebhookFactory(
        station=station, event_type="station.studio.newtrack", url=httpserver.url_for("/now")
    )
    body = track("Hey Jude")
    send(client, source, body, capture_on_commit)
    send(client, source, track("Forged"), capture_on_commit, secret="not-the-secret")
    send(client, source, body, capture_on_commit)
    accepted, rejected, duplicate = InboundRequest.objects.order_by("pk")
    return {"accepted": accepted, "rejected": rejected, "duplicate": duplicate}


def listed(admin_client, query: str = "") -> list[int]:
    page = admin_client.get(reverse("admin:webhooks_inboundrequest_changelist") + query)
    assert page.status_code == 200
    return [row.pk for row in page.context["cl"].result_list]


def test_the_log_filters_by_source_result_and_date_and_finds_by_id(admin_client, logged, station):
    every = [logged[name].pk for name in ("duplicate", "rejected", "accepted")]
    assert listed(admin_client) == every
    assert listed(admin_client, "?outcome__exact=rejected") == [logged["rejected"].pk]
    assert listed(admin_client, "?outcome__exact=duplicate") == [logged["duplicate"].pk]
    other = InboundSourceFactory(station=station)
    assert listed(admin_client, f"?source__id__exact={other.pk}") == []
    assert listed(admin_client, f"?source__id__exact={logged['accepted'].source_id}") == every
    tomorrow = quote((timezone.now() + timedelta(days=1)).isoformat())
    assert listed(admin_client, f"?received_at__gte={tomorrow}") == []
    yesterday = quote((timezone.now() - timedelta(days=1)).isoformat())
    assert listed(admin_client, f"?received_at__gte={yesterday}") == every
    assert listed(admin_client, f"?q={logged['rejected'].pk}") == [logged["rejected"].pk]
    assert listed(admin_client, f"?q=%23{logged['accepted'].pk}") == [logged["accepted"].pk]


def test_the_detail_shows_headers_body_verification_and_what_it_caused(admin_client, logged):
    accepted = logged["accepted"]
    page = admin_client.get(reverse("admin:webhooks_inboundrequest_change", args=[accepted.pk]))
    html = page.content.decode()
    assert ("X-Webhook-Signature", accepted.headers["X-Webhook-Signature"]) in page.context[
        "headers"
    ]
    assert '"title": "Hey Jude"' in page.context["body"]  # pretty-printed
    assert accepted.verification == "X-Webhook-Signature (HMAC-SHA256, hex)"
    assert accepted.verification in html
    event = Event.objects.get(inbound_request=accepted)
    assert event.message_id in html and "station.studio.newtrack" in html
    # and the event's delivery links back to the request
    delivery = event.deliveries.get()
    back = admin_client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    assert reverse("admin:webhooks_inboundrequest_change", args=[accepted.pk]) in (
        back.content.decode()
    )
    # a rejected one says why, a duplicate links to its original
    rejected = admin_client.get(
        reverse("admin:webhooks_inboundrequest_change", args=[logged["rejected"].pk])
    ).content.decode()
    assert "X-Webhook-Signature does not match" in rejected
    duplicate = admin_client.get(
        reverse("admin:webhooks_inboundrequest_change", args=[logged["duplicate"].pk])
    ).content.decode()
    assert reverse("admin:webhooks_inboundrequest_change", args=[accepted.pk]) in duplicate


def test_replay_processes_a_request_again_and_is_in_its_history(
    admin_client, logged, capture_on_commit
):
    accepted = logged["accepted"]
    with capture_on_commit(execute=True):
        admin_client.post(reverse("admin:webhooks_inboundrequest_replay", args=[accepted.pk]))
    assert TrackPlay.objects.count() == 2
    assert Event.objects.filter(inbound_request=accepted).count() == 2
    assert history(accepted) == ["Replayed (processed again)."]
    # a rejected request is not replayed
    with capture_on_commit(execute=True):
        admin_client.post(
            reverse("admin:webhooks_inboundrequest_replay", args=[logged["rejected"].pk])
        )
    assert TrackPlay.objects.count() == 2


def test_replay_every_request_matching_a_filter(admin_client, logged, capture_on_commit):
    with capture_on_commit(execute=True):
        response = admin_client.post(
            reverse("admin:webhooks_inboundrequest_changelist") + "?outcome__exact=accepted",
            {
                "action": "replay",
                "select_across": "1",
                "index": "0",
                "_selected_action": [logged["accepted"].pk],
            },
            follow=True,
        )
    assert "1 request(s) queued to be processed again." in response.content.decode()
    assert TrackPlay.objects.count() == 2


def test_accept_anyway_processes_a_forged_request_and_says_who_decided(
    admin_client, logged, capture_on_commit, admin_user
):
    rejected = logged["rejected"]
    url = reverse("admin:webhooks_inboundrequest_change", args=[rejected.pk])
    assert 'id="accept-anyway"' in admin_client.get(url).content.decode()
    with capture_on_commit(execute=True):
        admin_client.post(
            reverse("admin:webhooks_inboundrequest_accept_anyway", args=[rejected.pk])
        )
    rejected.refresh_from_db()
    assert (rejected.status, rejected.accepted_by) == ("processed", admin_user)
    assert TrackPlay.objects.filter(title="Forged").exists()
    assert history(rejected) == [
        "Accepted anyway after failing verification: X-Webhook-Signature does not match the body."
    ]
    assert "accepted-anyway" in admin_client.get(url).content.decode()
    # only once, and only for requests that failed verification
    response = admin_client.post(
        reverse("admin:webhooks_inboundrequest_accept_anyway", args=[logged["duplicate"].pk]),
        follow=True,
    )
    assert "Only a request that failed verification" in response.content.decode()
    assert TrackPlay.objects.count() == 2


def test_staff_without_the_change_right_see_the_log_but_cannot_act(
    client, django_user_model, logged, station
):
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_inboundrequest", "view_inboundsource"])
    )
    station.operators.add(user)
    client.force_login(user)
    page = client.get(reverse("admin:webhooks_inboundrequest_changelist"))
    assert page.status_code == 200 and 'value="replay"' not in page.content.decode()
    rejected = logged["rejected"]
    detail = client.get(reverse("admin:webhooks_inboundrequest_change", args=[rejected.pk]))
    assert 'id="accept-anyway"' not in detail.content.decode()
    client.post(reverse("admin:webhooks_inboundrequest_accept_anyway", args=[rejected.pk]))
    rejected.refresh_from_db()
    assert rejected.accepted_at is None


def test_the_dashboard_counts_each_sources_requests(admin_client, logged):
    source = logged["accepted"].source
    page = admin_client.get(reverse("admin:index"))
    (row,) = page.context["panels"][0]["inbound"]
    assert (row.source, row.accepted, row.rejected, row.duplicate) == (source, 1, 1, 1)
    assert f'id="inbound-source-{source.pk}"' in page.content.decode()


def test_old_requests_are_pruned_and_their_events_stay(logged, settings):
    settings.INBOUND_RETENTION_DAYS = 30
    old = timezone.now() - timedelta(days=31)
    InboundRequest.objects.exclude(pk=logged["duplicate"].pk).update(received_at=old)
    pending = InboundRequest.objects.filter(pk=logged["rejected"].pk)
    pending.update(status="pending")
    assert prune_inbound_log(batch_size=1) == 1
    assert set(InboundRequest.objects.values_list("pk", flat=True)) == {
        logged["rejected"].pk,
        logged["duplicate"].pk,
    }
    assert Event.objects.get().inbound_request is None


# --- Operators -------------------------------------------------------------------------


def test_operators_see_only_their_stations_sources_and_requests(
    client, django_user_model, logged, source, capture_on_commit
):
    other_source = InboundSourceFactory(station=StationFactory(name="Other FM"), name="Theirs")
    send(client, other_source, track("Theirs"), capture_on_commit)
    theirs = InboundRequest.objects.get(source=other_source)
    user = django_user_model.objects.create_user("operator", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="webhooks"))
    source.station.operators.add(user)
    client.force_login(user)
    assert set(listed(client)) == {r.pk for r in logged.values()}
    sources = client.get(reverse("admin:webhooks_inboundsource_changelist")).content.decode()
    assert "Studio xtra" in sources and "Theirs" not in sources
    for name, pk in (("inboundrequest", theirs.pk), ("inboundsource", other_source.pk)):
        response = client.get(reverse(f"admin:webhooks_{name}_change", args=[pk]), follow=True)
        assert response.redirect_chain[-1][0] == reverse("admin:index")
    with capture_on_commit(execute=True):
        response = client.post(reverse("admin:webhooks_inboundrequest_replay", args=[theirs.pk]))
    assert response.status_code == 404
    response = client.post(
        reverse("admin:webhooks_inboundsource_rotate_token", args=[other_source.pk]),
        {"overlap_s": 0},
    )
    assert response.status_code == 404
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert "Theirs" not in dashboard
