"""An endpoint's circuit breaker: the state machine (thresholds, cool-down growth, probe,
reset), and what it does to deliveries in the engine: held deliveries burn no attempt, one
probe goes out at the end of the cool-down, an answer lets the held ones go, the operator
can try at once; and how it plays with auto-disable and with a redelivery."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import WebhookFactory
from tests.webhook_helpers import drain_until_settled, publish_track_unqueued
from webhooks import claims, engine
from webhooks.breaker import Breaker, BreakerRules, BreakerState, after_attempt, cooldown_s
from webhooks.choices import DeliveryStatus
from webhooks.holding import webhook_try_now
from webhooks.models import Delivery, Webhook
from webhooks.services import deliveries_redeliver

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RULES = BreakerRules(threshold=3, cooldown_s=30, max_cooldown_s=600)


def fail(breaker: Breaker, *, probe: bool = False, now: datetime = NOW) -> Breaker:
    return after_attempt(
        breaker, answered=False, error="Timeout", probe=probe, now=now, rules=RULES
    )


def answer(breaker: Breaker, *, probe: bool = False) -> Breaker:
    return after_attempt(breaker, answered=True, error="", probe=probe, now=NOW, rules=RULES)


# --- the state machine -----------------------------------------------------------------


def test_it_opens_after_threshold_failures_in_a_row():
    breaker = fail(fail(Breaker()))
    assert breaker.state(NOW) is BreakerState.CLOSED and breaker.failures == 2
    breaker = fail(breaker)
    assert breaker.state(NOW) is BreakerState.OPEN
    assert breaker.retry_at == NOW + timedelta(seconds=30)
    assert (breaker.trips, breaker.reason) == (1, "Timeout")


def test_any_answer_ends_a_run_of_failures():
    assert fail(answer(fail(fail(Breaker())))).state(NOW) is BreakerState.CLOSED
    assert answer(fail(fail(Breaker()))) == Breaker()


def test_once_the_cooldown_is_over_it_is_half_open():
    opened = fail(fail(fail(Breaker())))
    assert opened.state(opened.retry_at - timedelta(seconds=1)) is BreakerState.OPEN
    assert opened.state(opened.retry_at) is BreakerState.HALF_OPEN


def test_a_failed_probe_reopens_it_for_twice_as_long_up_to_the_maximum():
    breaker = fail(fail(fail(Breaker())))
    waits = []
    for _ in range(6):
        breaker = fail(breaker, probe=True)
        waits.append((breaker.retry_at - NOW).total_seconds())
    assert waits == [60, 120, 240, 480, 600, 600]


def test_an_answered_probe_closes_it():
    opened = fail(fail(fail(Breaker())))
    assert answer(opened, probe=True) == Breaker()


def test_failures_of_sends_already_in_flight_when_it_opened_change_nothing_but_the_count():
    opened = fail(fail(fail(Breaker())))
    late = fail(opened)
    assert (late.retry_at, late.trips) == (opened.retry_at, opened.trips)
    assert late.failures == opened.failures + 1


@given(st.lists(st.booleans(), max_size=40))
def test_it_is_open_exactly_when_the_last_threshold_attempts_got_no_answer(answers):
    breaker = Breaker()
    for answered in answers:
        breaker = after_attempt(
            breaker, answered=answered, error="x", probe=False, now=NOW, rules=RULES
        )
    tail = answers[-RULES.threshold :]
    expect_open = len(tail) == RULES.threshold and not any(tail)
    assert (breaker.retry_at is not None) == expect_open


@given(st.integers(min_value=1, max_value=60))
def test_cooldowns_never_shrink_and_never_pass_the_maximum(trips):
    assert cooldown_s(trips, RULES) <= RULES.max_cooldown_s
    assert cooldown_s(trips + 1, RULES) >= cooldown_s(trips, RULES)


# --- in the engine -----------------------------------------------------------------------


@pytest.fixture
def rules(settings):
    settings.WEBHOOKS_BREAKER_THRESHOLD = 2
    settings.WEBHOOKS_BREAKER_COOLDOWN_S = 30
    settings.WEBHOOKS_BREAKER_MAX_COOLDOWN_S = 600
    settings.WEBHOOKS_RETRY_DELAYS_S = [0, 0, 0]
    settings.WEBHOOKS_CONNECT_TIMEOUT_S = 1


@pytest.fixture
def dead_url(unused_tcp_port):
    """Nothing listens there: every connection is refused."""
    return f"http://127.0.0.1:{unused_tcp_port}/hook"


@pytest.fixture
def unused_tcp_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def publish(webhook, count: int) -> list[Delivery]:
    return [publish_track_unqueued(webhook).deliveries.get() for _ in range(count)]


def open_breaker(webhook) -> None:
    """Send to the dead endpoint until its breaker is open."""
    engine.drain_due_deliveries()
    webhook.refresh_from_db()
    assert webhook.breaker.state(timezone.now()) is BreakerState.OPEN


def cool_down(webhook) -> None:
    """As if the cool-down were over: the breaker and what it holds are due now."""
    past = timezone.now() - timedelta(seconds=1)
    Delivery.objects.filter(webhook=webhook, next_attempt_at=webhook.breaker_retry_at).update(
        next_attempt_at=past
    )
    Webhook.objects.filter(pk=webhook.pk).update(breaker_retry_at=past)
    webhook.refresh_from_db()


def held_behind_open_breaker(webhook) -> list[Delivery]:
    """Two deliveries that opened the breaker (one attempt each), then three more that it
    holds (none): all five, oldest first."""
    first = publish(webhook, 2)
    open_breaker(webhook)
    later = publish(webhook, 3)
    engine.drain_due_deliveries()
    return first + later


def attempts(deliveries: list[Delivery]) -> list[int]:
    return [Delivery.objects.get(pk=d.pk).attempt_count for d in deliveries]


@pytest.mark.django_db
def test_an_open_breaker_holds_its_endpoints_deliveries_burning_no_attempt(rules, dead_url):
    # given two deliveries to a dead endpoint, and more published behind them
    webhook = WebhookFactory(url=dead_url)
    first = publish(webhook, 2)
    # when the first two fail to connect, the breaker opens
    open_breaker(webhook)
    later = publish(webhook, 3)
    engine.drain_due_deliveries()
    # then nothing more was attempted, and every pending delivery waits for the probe
    assert attempts(first) == [1, 1] and attempts(later) == [0, 0, 0]
    due_at = set(Delivery.objects.filter(webhook=webhook).values_list("next_attempt_at", flat=True))
    assert due_at == {webhook.breaker_retry_at}
    assert claims.due_times(limit=10) == []  # nothing held counts as due


@pytest.mark.django_db
def test_after_the_cooldown_one_probe_goes_and_a_failure_doubles_the_wait(rules, dead_url):
    webhook = WebhookFactory(url=dead_url)
    held = held_behind_open_breaker(webhook)
    cool_down(webhook)
    # when the engine runs, one probe goes out: the oldest delivery
    engine.drain_due_deliveries()
    assert attempts(held) == [2, 1, 0, 0, 0]
    webhook.refresh_from_db()
    assert webhook.breaker_trips == 2
    wait_s = (webhook.breaker_retry_at - timezone.now()).total_seconds()
    assert 55 < wait_s <= 60


@pytest.mark.django_db
def test_an_answered_probe_closes_the_breaker_and_lets_the_held_deliveries_go(
    rules, dead_url, httpserver
):
    webhook = WebhookFactory(url=dead_url)
    held = held_behind_open_breaker(webhook)
    # given the endpoint is back when the cool-down is over
    httpserver.expect_request("/hook").respond_with_data("ok")
    Webhook.objects.filter(pk=webhook.pk).update(url=httpserver.url_for("/hook"))
    cool_down(webhook)
    # when the probe goes out, then what it held
    engine.drain_due_deliveries()  # the probe alone
    assert len(httpserver.log) == 1
    drain_until_settled()
    # then all were delivered, the held ones with no attempt lost to the outage
    assert {d.status for d in Delivery.objects.filter(webhook=webhook)} == {
        DeliveryStatus.DELIVERED
    }
    assert attempts(held) == [2, 2, 1, 1, 1]
    webhook.refresh_from_db()
    assert webhook.breaker == Breaker()


@pytest.mark.django_db
def test_try_now_sends_the_probe_at_once(rules, dead_url, httpserver):
    webhook = WebhookFactory(url=dead_url)
    held = held_behind_open_breaker(webhook)
    httpserver.expect_request("/hook").respond_with_data("ok")
    Webhook.objects.filter(pk=webhook.pk).update(url=httpserver.url_for("/hook"))
    # when the operator tries now
    assert webhook_try_now(webhook=webhook)
    # then the probe goes, the breaker closes, and the rest follow
    drain_until_settled()
    webhook.refresh_from_db()
    assert webhook.breaker == Breaker()
    assert {Delivery.objects.get(pk=d.pk).status for d in held} == {DeliveryStatus.DELIVERED}
    assert not webhook_try_now(webhook=webhook)  # closed: nothing to try


@pytest.mark.django_db
def test_held_deliveries_do_not_count_towards_auto_disable(rules, dead_url, settings):
    # given auto-disable after 2 failed deliveries, and an endpoint whose breaker opened
    settings.WEBHOOKS_AUTO_DISABLE_AFTER = 2
    settings.WEBHOOKS_RETRY_DELAYS_S = []  # each attempt that fails ends its delivery
    webhook = WebhookFactory(url=dead_url)
    publish(webhook, 1)
    engine.drain_due_deliveries()
    webhook.refresh_from_db()
    assert webhook.consecutive_failures == 1 and webhook.enabled
    # when the breaker holds many more deliveries (it opened on the next failure)
    publish(webhook, 1)
    engine.drain_due_deliveries()
    webhook.refresh_from_db()
    # then the two failed deliveries disabled it, the held ones did not add to it
    assert webhook.consecutive_failures == 2 and not webhook.enabled
    publish_held = Delivery.objects.filter(webhook=webhook, status=DeliveryStatus.PENDING)
    assert not publish_held.exists()


@pytest.mark.django_db
def test_a_failed_probe_counts_as_an_attempt_towards_auto_disable(rules, dead_url, settings):
    settings.WEBHOOKS_AUTO_DISABLE_AFTER = 3
    settings.WEBHOOKS_RETRY_DELAYS_S = []
    webhook = WebhookFactory(url=dead_url)
    publish(webhook, 2)
    open_breaker(webhook)
    publish(webhook, 2)
    cool_down(webhook)
    engine.drain_due_deliveries()  # the probe fails: its delivery fails, the third in a row
    webhook.refresh_from_db()
    assert not webhook.enabled and webhook.consecutive_failures == 3
    # a disabled webhook's deliveries fail without a request once they are due
    cool_down(webhook)
    engine.drain_due_deliveries()
    assert not Delivery.objects.filter(status=DeliveryStatus.PENDING).exists()


@pytest.mark.django_db
def test_a_redelivery_to_an_endpoint_whose_breaker_is_open_is_held_too(rules, dead_url):
    # given deliveries that failed, then the endpoint's breaker opened
    webhook = WebhookFactory(url=dead_url)
    failed = publish(webhook, 2)
    Delivery.objects.filter(pk__in=[d.pk for d in failed]).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None
    )
    publish(webhook, 2)
    open_breaker(webhook)
    # when the operator redelivers the failed ones
    assert deliveries_redeliver(deliveries=Delivery.objects.filter(pk__in=[d.pk for d in failed]))
    engine.drain_due_deliveries()
    # then they are held with the rest, no attempt made
    for delivery in Delivery.objects.filter(pk__in=[d.pk for d in failed]):
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempt_count == 0
        assert delivery.next_attempt_at == webhook.breaker_retry_at
