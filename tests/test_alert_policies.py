"""Alert policies: grace period, any vs all, recovery, flapping and escalation, driven
with controlled time (every check and tick gets an explicit `now`; no sleeping)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from stations import monitor
from stations.choices import CheckSource
from tests.factories import AlertPolicyFactory, StationFactory, StreamFactory, WebhookFactory
from webhooks.alerts import Memory, Observation, decide, evaluate_alert_policies
from webhooks.choices import AlertType
from webhooks.event_types import STREAM_ALERT
from webhooks.models import AlertState, Delivery, Event

T0 = datetime(2026, 1, 26, 14, 0, tzinfo=UTC)
GRACE = timedelta(minutes=5)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


# --- the pure decision -----------------------------------------------------------------


def test_down_inside_the_grace_period_waits():
    memory, alert = decide(
        Memory(), Observation(True, since=T0), now=minutes(4), grace=GRACE, notify_recovery=True
    )
    assert alert is None and memory == Memory(down_since=T0, down_sent=False)


def test_down_for_the_grace_period_alerts_once():
    memory, alert = decide(
        Memory(down_since=T0),
        Observation(True, since=T0),
        now=minutes(5),
        grace=GRACE,
        notify_recovery=True,
    )
    assert alert == AlertType.DOWN and memory == Memory(down_since=T0, down_sent=True)
    again, alert = decide(
        memory, Observation(True, since=T0), now=minutes(60), grace=GRACE, notify_recovery=True
    )
    assert alert is None and again == memory


def test_zero_grace_alerts_on_the_first_down():
    _, alert = decide(
        Memory(), Observation(True, since=T0), now=T0, grace=timedelta(0), notify_recovery=True
    )
    assert alert == AlertType.DOWN


@pytest.mark.parametrize(
    ("memory", "notify_recovery", "expected"),
    [
        (Memory(down_since=T0, down_sent=True), True, AlertType.UP),
        (Memory(down_since=T0, down_sent=True), False, None),
        (Memory(down_since=T0, down_sent=False), True, None),  # recovered inside the grace
        (Memory(), True, None),
    ],
)
def test_recovery(memory, notify_recovery, expected):
    after, alert = decide(
        memory,
        Observation(False, since=minutes(7)),
        now=minutes(7),
        grace=GRACE,
        notify_recovery=notify_recovery,
    )
    assert alert == expected and after == Memory()


# --- the state machine on real rows ----------------------------------------------------


def observe(stream, *, up: bool, at: datetime, silence: bool | None = None) -> None:
    monitor.record_check(
        stream_id=stream.pk,
        result=monitor.CheckResult(is_up=up, reason="", silence=silence),
        source=CheckSource.MONITOR,
        checked_at=at,
    )


def sent_alerts(contact=None) -> list[dict]:
    """Bodies of the alerts published so far (to `contact` only, when given), in order."""
    events = Event.objects.filter(event_type=STREAM_ALERT.name).order_by("pk")
    if contact is not None:
        events = events.filter(deliveries__webhook=contact)
    return [json.loads(event.body) for event in events]


def summary(alerts: list[dict]) -> list[tuple]:
    return [
        (a["event"]["type"], a["event"]["stream"]["name"] if a["event"]["stream"] else None)
        for a in alerts
    ]


@pytest.fixture
def station():
    return StationFactory(name="Example FM")


@pytest.fixture
def contact(station):
    return WebhookFactory(station=station, event_type=STREAM_ALERT.name, name="On-call")


@pytest.mark.django_db
def test_grace_period_then_exactly_one_down_alert(station, contact):
    # given
    stream = StreamFactory(station=station, name="Stream 1")
    AlertPolicyFactory(station=station, grace_minutes=5, contacts=[contact])
    # when: down, seen by checks and ticks throughout the outage
    observe(stream, up=False, at=T0)
    evaluate_alert_policies(now=minutes(4))
    assert sent_alerts() == []
    evaluate_alert_policies(now=minutes(5))
    observe(stream, up=False, at=minutes(6))
    evaluate_alert_policies(now=minutes(7))
    observe(stream, up=False, at=minutes(30))
    # then
    alerts = sent_alerts(contact)
    assert summary(alerts) == [("down", "Stream 1")]
    assert alerts[0]["timestamp"] == int(minutes(5).timestamp())
    assert alerts[0]["summary"] == "Example FM Alert: Stream 1 is down"
    assert Delivery.objects.get().webhook == contact


@pytest.mark.django_db
def test_the_tick_fires_the_grace_deadline_without_a_new_check(station, contact):
    stream = StreamFactory(station=station)
    AlertPolicyFactory(station=station, grace_minutes=5, contacts=[contact])
    observe(stream, up=False, at=T0)
    assert evaluate_alert_policies(now=minutes(5)) == 1
    assert summary(sent_alerts()) == [("down", stream.name)]


@pytest.mark.django_db
def test_recovery_sends_one_up_alert_after_a_down(station, contact):
    stream = StreamFactory(station=station, name="Stream 1")
    AlertPolicyFactory(station=station, grace_minutes=0, contacts=[contact])
    observe(stream, up=False, at=T0)
    observe(stream, up=True, at=minutes(3))
    observe(stream, up=True, at=minutes(4))
    evaluate_alert_policies(now=minutes(5))
    alerts = sent_alerts()
    assert summary(alerts) == [("down", "Stream 1"), ("up", "Stream 1")]
    assert alerts[1]["summary"] == "Example FM Alert: Stream 1 is up"
    assert alerts[1]["timestamp"] == int(minutes(3).timestamp())
    assert not AlertState.objects.exists()  # nothing remembered once recovered


@pytest.mark.django_db
def test_no_up_alert_when_recovery_notifications_are_off(station, contact):
    stream = StreamFactory(station=station)
    AlertPolicyFactory(station=station, notify_recovery=False, contacts=[contact])
    observe(stream, up=False, at=T0)
    observe(stream, up=True, at=minutes(3))
    assert summary(sent_alerts()) == [("down", stream.name)]


@pytest.mark.django_db
def test_flapping_inside_the_grace_period_sends_nothing(station, contact):
    # given
    stream = StreamFactory(station=station)
    AlertPolicyFactory(station=station, grace_minutes=5, contacts=[contact])
    # when: down and up every minute for twenty minutes, ticking in between
    for minute in range(20):
        observe(stream, up=minute % 2 == 1, at=minutes(minute))
        evaluate_alert_policies(now=minutes(minute + 0.5))
    # then
    assert sent_alerts() == []
    # and a real outage after the flapping still alerts, its grace counted from its start
    observe(stream, up=False, at=minutes(20))
    evaluate_alert_policies(now=minutes(24.9))
    assert sent_alerts() == []
    evaluate_alert_policies(now=minutes(25))
    assert summary(sent_alerts()) == [("down", stream.name)]


@pytest.mark.django_db
def test_condition_any_alerts_per_stream(station, contact):
    one = StreamFactory(station=station, name="Stream 1")
    two = StreamFactory(station=station, name="Stream 2")
    AlertPolicyFactory(station=station, condition="any", contacts=[contact])
    observe(one, up=False, at=T0)
    observe(two, up=False, at=minutes(1))
    observe(one, up=True, at=minutes(2))
    assert summary(sent_alerts()) == [
        ("down", "Stream 1"),
        ("down", "Stream 2"),
        ("up", "Stream 1"),
    ]


@pytest.mark.django_db
def test_condition_all_alerts_once_with_no_stream_when_every_stream_is_down(station, contact):
    # given
    one = StreamFactory(station=station, name="Stream 1")
    two = StreamFactory(station=station, name="Stream 2")
    AlertPolicyFactory(station=station, condition="all", grace_minutes=5, contacts=[contact])
    observe(one, up=True, at=T0)
    observe(two, up=True, at=T0)
    # when: one goes down, then the other; grace counts from when both were down
    observe(one, up=False, at=minutes(1))
    evaluate_alert_policies(now=minutes(6))
    assert sent_alerts() == []
    observe(two, up=False, at=minutes(3))
    evaluate_alert_policies(now=minutes(7.9))
    assert sent_alerts() == []
    evaluate_alert_policies(now=minutes(8))
    observe(one, up=False, at=minutes(9))
    # then: one alert, and the recovery of either stream ends the outage; its summary
    # says which stream is back and which is still down
    observe(two, up=True, at=minutes(10))
    alerts = sent_alerts()
    assert summary(alerts) == [("down", None), ("up", None)]
    assert alerts[0]["summary"] == "Example FM Alert: All streams are down"
    assert alerts[0]["event"]["stream"] is None
    assert alerts[1]["summary"] == "Example FM Alert: Stream 2 is up, Stream 1 still down"


@pytest.mark.django_db
def test_condition_all_says_all_streams_are_up_only_when_none_is_down(station, contact):
    one = StreamFactory(station=station, name="Stream 1")
    two = StreamFactory(station=station, name="Stream 2")
    AlertPolicyFactory(station=station, condition="all", grace_minutes=5, contacts=[contact])
    observe(one, up=False, at=T0)
    observe(two, up=False, at=T0)
    evaluate_alert_policies(now=minutes(5))
    # both come back before the policy is evaluated again (checks recorded in bulk)
    for stream in (one, two):
        stream.is_up = True
        stream.save(update_fields=["is_up"])
    evaluate_alert_policies(now=minutes(6))
    assert [a["summary"] for a in sent_alerts()] == [
        "Example FM Alert: All streams are down",
        "Example FM Alert: All streams are up",
    ]


@pytest.mark.django_db
def test_a_policy_covers_only_its_streams_when_it_names_some(station, contact):
    named = StreamFactory(station=station, name="Stream 1")
    other = StreamFactory(station=station, name="Stream 2")
    AlertPolicyFactory(station=station, streams=[named], contacts=[contact])
    observe(other, up=False, at=T0)
    assert sent_alerts() == []
    observe(named, up=False, at=T0)
    assert summary(sent_alerts()) == [("down", "Stream 1")]


@pytest.mark.django_db
def test_escalation_two_policies_with_different_grace_and_contacts(station, contact):
    # given: the on-call contact hears at once, the manager after 10 minutes
    manager = WebhookFactory(station=station, event_type=STREAM_ALERT.name, name="Manager")
    stream = StreamFactory(station=station, name="Stream 1")
    AlertPolicyFactory(station=station, name="On-call", grace_minutes=0, contacts=[contact])
    AlertPolicyFactory(station=station, name="Manager", grace_minutes=10, contacts=[manager])
    # when
    observe(stream, up=False, at=T0)
    evaluate_alert_policies(now=minutes(9))
    assert summary(sent_alerts(manager)) == []
    evaluate_alert_policies(now=minutes(10))
    evaluate_alert_policies(now=minutes(11))
    observe(stream, up=True, at=minutes(12))
    # then
    assert summary(sent_alerts(contact)) == [("down", "Stream 1"), ("up", "Stream 1")]
    assert summary(sent_alerts(manager)) == [("down", "Stream 1"), ("up", "Stream 1")]
    down_times = [a["timestamp"] for a in sent_alerts() if a["event"]["type"] == "down"]
    assert down_times == [int(T0.timestamp()), int(minutes(10).timestamp())]


@pytest.mark.django_db
def test_escalation_stops_if_the_stream_recovers_before_the_second_grace(station, contact):
    manager = WebhookFactory(station=station, event_type=STREAM_ALERT.name, name="Manager")
    stream = StreamFactory(station=station)
    AlertPolicyFactory(station=station, grace_minutes=0, contacts=[contact])
    AlertPolicyFactory(station=station, grace_minutes=10, contacts=[manager])
    observe(stream, up=False, at=T0)
    observe(stream, up=True, at=minutes(4))
    evaluate_alert_policies(now=minutes(30))
    assert summary(sent_alerts(contact)) == [("down", stream.name), ("up", stream.name)]
    assert sent_alerts(manager) == []


@pytest.mark.django_db
def test_only_enabled_stream_alert_contacts_of_the_station_receive(station, contact):
    stream = StreamFactory(station=station)
    disabled = WebhookFactory(station=station, event_type=STREAM_ALERT.name, enabled=False)
    AlertPolicyFactory(station=station, contacts=[contact, disabled])
    observe(stream, up=False, at=T0)
    assert list(Delivery.objects.values_list("webhook", flat=True)) == [contact.pk]


@pytest.mark.django_db
def test_a_disabled_policy_sends_nothing_and_forgets_its_outages(station, contact):
    stream = StreamFactory(station=station)
    policy = AlertPolicyFactory(station=station, grace_minutes=0, contacts=[contact])
    observe(stream, up=False, at=T0)
    policy.enabled = False
    policy.save()
    evaluate_alert_policies(now=minutes(1))
    observe(stream, up=True, at=minutes(2))
    assert summary(sent_alerts()) == [("down", stream.name)]
    assert not AlertState.objects.exists()


@pytest.mark.django_db
def test_a_new_policy_alerts_for_an_outage_already_past_its_grace(station, contact):
    stream = StreamFactory(station=station)
    observe(stream, up=False, at=T0)
    AlertPolicyFactory(station=station, grace_minutes=5, contacts=[contact])
    evaluate_alert_policies(now=minutes(20))
    alerts = sent_alerts()
    assert summary(alerts) == [("down", stream.name)]
    assert AlertState.objects.get().down_since == T0


@pytest.mark.django_db
def test_policies_of_other_stations_are_not_touched(station, contact):
    stream = StreamFactory(station=station)
    AlertPolicyFactory(contacts=[WebhookFactory(event_type=STREAM_ALERT.name)])
    observe(stream, up=False, at=T0)
    assert sent_alerts() == []


@pytest.mark.django_db
def test_a_policy_with_no_notify_webhook_sends_nothing_and_its_alert_stays_due(station, contact):
    # given a policy nobody hears
    stream = StreamFactory(station=station)
    policy = AlertPolicyFactory(station=station, grace_minutes=5)
    observe(stream, up=False, at=T0)
    # when its grace ends
    evaluate_alert_policies(now=minutes(6))
    # then nothing went out, and the outage says so
    assert sent_alerts() == []
    state = AlertState.objects.get()
    assert state.down_since == T0 and state.down_sent_at is None
    # when a notify webhook is added, the due alert goes out, once
    policy.contacts.set([contact])
    evaluate_alert_policies(now=minutes(7))
    evaluate_alert_policies(now=minutes(8))
    assert summary(sent_alerts()) == [("down", stream.name)]
    assert AlertState.objects.get().down_sent_at == minutes(7)
