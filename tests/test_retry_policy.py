"""The outcome rules (docs/delivery-rules.md, "Outcomes" and "Retries") as pure
functions: classify, next_step, parse_retry_after."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webhooks.choices import DeliveryStatus
from webhooks.policy import ErrorKind, NextStep, Outcome, classify, next_step, parse_retry_after

PROPERTY = settings(max_examples=200, deadline=None, database=None)

DELAYS = [10, 60, 300]
NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)


# --- classify ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status_code", "expected"),
    [
        (200, Outcome.DELIVERED),
        (201, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (299, Outcome.DELIVERED),
        (500, Outcome.RETRYABLE),
        (502, Outcome.RETRYABLE),
        (503, Outcome.RETRYABLE),
        (599, Outcome.RETRYABLE),
        (408, Outcome.RETRYABLE),
        (429, Outcome.RETRYABLE),
        (410, Outcome.GONE),
        (300, Outcome.FAILED),
        (301, Outcome.FAILED),
        (302, Outcome.FAILED),
        (304, Outcome.FAILED),
        (400, Outcome.FAILED),
        (401, Outcome.FAILED),
        (403, Outcome.FAILED),
        (404, Outcome.FAILED),
        (422, Outcome.FAILED),
        (199, Outcome.FAILED),
    ],
)
def test_classify_status_code(status_code, expected):
    assert classify(status_code, None) is expected


@pytest.mark.parametrize(
    ("error_kind", "expected"),
    [
        (ErrorKind.TIMEOUT, Outcome.RETRYABLE),
        (ErrorKind.CONNECTION, Outcome.RETRYABLE),
        (ErrorKind.REFUSED_TARGET, Outcome.FAILED),
        (None, Outcome.FAILED),
    ],
)
def test_classify_without_a_response(error_kind, expected):
    assert classify(None, error_kind) is expected


def test_a_status_code_wins_over_an_error_kind():
    # given: a response arrived, whatever else was noted
    assert classify(200, ErrorKind.TIMEOUT) is Outcome.DELIVERED
    assert classify(404, ErrorKind.CONNECTION) is Outcome.FAILED


@PROPERTY
@given(status_code=st.integers(min_value=100, max_value=999))
def test_classify_matches_the_table_for_every_status(status_code):
    # given: docs/delivery-rules.md restated independently
    if 200 <= status_code <= 299:
        expected = Outcome.DELIVERED
    elif status_code >= 500 or status_code in (408, 429):
        expected = Outcome.RETRYABLE
    elif status_code == 410:
        expected = Outcome.GONE
    else:
        expected = Outcome.FAILED

    # then
    assert classify(status_code, None) is expected


# --- next_step ---------------------------------------------------------------------------


@pytest.mark.parametrize(("attempts_made", "delay"), [(1, 10), (2, 60), (3, 300)])
def test_retryable_outcome_waits_the_configured_delay(attempts_made, delay):
    # when
    step = next_step(
        outcome=Outcome.RETRYABLE, attempts_made=attempts_made, retry_delays_s=DELAYS, jitter=0
    )

    # then
    assert step == NextStep(DeliveryStatus.PENDING, retry_in_s=delay, disable_webhook=False)


def test_retryable_outcome_after_the_last_retry_fails():
    # when
    step = next_step(outcome=Outcome.RETRYABLE, attempts_made=4, retry_delays_s=DELAYS)

    # then
    assert step == NextStep(DeliveryStatus.FAILED, retry_in_s=None, disable_webhook=False)


def test_a_delivery_that_keeps_failing_gets_exactly_four_attempts():
    # given
    attempts = 0
    waits = []
    step = NextStep(DeliveryStatus.PENDING)

    # when: every attempt times out
    while step.status == DeliveryStatus.PENDING:
        attempts += 1
        outcome = classify(None, ErrorKind.TIMEOUT)
        step = next_step(outcome=outcome, attempts_made=attempts, retry_delays_s=DELAYS)
        if step.retry_in_s is not None:
            waits.append(step.retry_in_s)

    # then
    assert attempts == 4
    assert waits == [10, 60, 300]
    assert step.status == DeliveryStatus.FAILED


@pytest.mark.parametrize("attempts_made", [1, 2, 3])
@pytest.mark.parametrize("jitter", [-1.0, 1.0])
def test_full_jitter_stays_within_twenty_percent(attempts_made, jitter):
    # given
    base = DELAYS[attempts_made - 1]

    # when
    step = next_step(
        outcome=Outcome.RETRYABLE,
        attempts_made=attempts_made,
        retry_delays_s=DELAYS,
        jitter=jitter,
    )

    # then: exactly at the edge, never beyond
    assert step.status == DeliveryStatus.PENDING
    assert step.retry_in_s == pytest.approx(base * (1 + 0.2 * jitter))
    assert base * 0.8 - 1e-9 <= step.retry_in_s <= base * 1.2 + 1e-9


@PROPERTY
@given(attempts_made=st.integers(1, 3), jitter=st.floats(-1, 1))
def test_any_jitter_stays_within_twenty_percent(attempts_made, jitter):
    # given
    base = DELAYS[attempts_made - 1]

    # when
    step = next_step(
        outcome=Outcome.RETRYABLE,
        attempts_made=attempts_made,
        retry_delays_s=DELAYS,
        jitter=jitter,
    )

    # then
    assert base * 0.8 - 1e-9 <= step.retry_in_s <= base * 1.2 + 1e-9


@pytest.mark.parametrize("attempts_made", [1, 2, 3])
def test_without_auto_retry_a_retryable_outcome_fails_at_once(attempts_made):
    # when: an operator's redelivery
    step = next_step(
        outcome=Outcome.RETRYABLE,
        attempts_made=attempts_made,
        retry_delays_s=DELAYS,
        auto_retry=False,
        retry_after_s=30.0,
    )

    # then
    assert step == NextStep(DeliveryStatus.FAILED, retry_in_s=None, disable_webhook=False)


@pytest.mark.parametrize("auto_retry", [True, False])
@pytest.mark.parametrize("attempts_made", [1, 4])
def test_gone_fails_and_disables_the_webhook(auto_retry, attempts_made):
    # when
    step = next_step(
        outcome=Outcome.GONE,
        attempts_made=attempts_made,
        retry_delays_s=DELAYS,
        auto_retry=auto_retry,
    )

    # then
    assert step == NextStep(DeliveryStatus.FAILED, retry_in_s=None, disable_webhook=True)


@pytest.mark.parametrize("auto_retry", [True, False])
@pytest.mark.parametrize("attempts_made", [1, 2, 4])
def test_delivered_is_delivered(auto_retry, attempts_made):
    # when
    step = next_step(
        outcome=Outcome.DELIVERED,
        attempts_made=attempts_made,
        retry_delays_s=DELAYS,
        auto_retry=auto_retry,
    )

    # then
    assert step == NextStep(DeliveryStatus.DELIVERED, retry_in_s=None, disable_webhook=False)


@pytest.mark.parametrize("attempts_made", [1, 2, 3, 4])
def test_failed_outcome_never_retries(attempts_made):
    # when
    step = next_step(outcome=Outcome.FAILED, attempts_made=attempts_made, retry_delays_s=DELAYS)

    # then
    assert step == NextStep(DeliveryStatus.FAILED, retry_in_s=None, disable_webhook=False)


@pytest.mark.parametrize("attempts_made", [1, 2, 3])
def test_retry_after_replaces_the_backoff_delay_without_jitter(attempts_made):
    # when
    step = next_step(
        outcome=Outcome.RETRYABLE,
        attempts_made=attempts_made,
        retry_delays_s=DELAYS,
        retry_after_s=120.0,
        jitter=1.0,
    )

    # then
    assert step == NextStep(DeliveryStatus.PENDING, retry_in_s=120.0)


def test_retry_after_does_not_extend_the_number_of_attempts():
    # when
    step = next_step(
        outcome=Outcome.RETRYABLE, attempts_made=4, retry_delays_s=DELAYS, retry_after_s=5.0
    )

    # then
    assert step == NextStep(DeliveryStatus.FAILED)


def test_no_configured_delays_means_no_retries():
    # when
    step = next_step(outcome=Outcome.RETRYABLE, attempts_made=1, retry_delays_s=[])

    # then
    assert step == NextStep(DeliveryStatus.FAILED)


def test_zero_delays_retry_immediately():
    # when
    step = next_step(outcome=Outcome.RETRYABLE, attempts_made=2, retry_delays_s=[0, 0, 0])

    # then
    assert step == NextStep(DeliveryStatus.PENDING, retry_in_s=0.0)


@PROPERTY
@given(
    attempts_made=st.integers(min_value=1, max_value=50),
    delays=st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=10**6),
            st.floats(min_value=0, max_value=1e9, allow_nan=False),
        ),
        max_size=10,
    ),
    jitter=st.floats(-1, 1),
)
def test_retryable_is_pending_exactly_while_delays_remain(attempts_made, delays, jitter):
    # when
    step = next_step(
        outcome=Outcome.RETRYABLE,
        attempts_made=attempts_made,
        retry_delays_s=delays,
        jitter=jitter,
    )

    # then
    assert (step.status == DeliveryStatus.PENDING) == (attempts_made <= len(delays))
    if step.status == DeliveryStatus.PENDING:
        assert step.retry_in_s >= 0
    else:
        assert step.status == DeliveryStatus.FAILED
        assert step.retry_in_s is None
    assert step.disable_webhook is False


# --- parse_retry_after -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 120 ", 120.0),
        ("1", 1.0),
        ("3600", 3600.0),
        ("0", 1.0),
        ("-5", 1.0),
        ("999999", 3600.0),
        ("inf", 3600.0),
    ],
)
def test_delta_seconds_are_clamped_to_one_second_and_one_hour(value, seconds):
    assert parse_retry_after(value, NOW) == seconds


def test_http_date_gives_the_seconds_until_that_date():
    # given
    value = format_datetime(NOW + timedelta(seconds=90), usegmt=True)

    # when
    seconds = parse_retry_after(value, NOW)

    # then
    assert value.endswith(" GMT")
    assert seconds == pytest.approx(90, abs=1)


def test_http_date_in_the_past_is_clamped_to_one_second():
    # given
    value = format_datetime(NOW - timedelta(minutes=5), usegmt=True)

    # then
    assert parse_retry_after(value, NOW) == 1.0


def test_http_date_far_ahead_is_clamped_to_one_hour():
    # given
    value = format_datetime(NOW + timedelta(days=2), usegmt=True)

    # then
    assert parse_retry_after(value, NOW) == 3600.0


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "soon", "12 seconds", "Thu, 99 Foo 2025 25:61:00 GMT", "nan", "NaN", "-nan"],
)
def test_absent_or_unreadable_retry_after_is_none(value):
    assert parse_retry_after(value, NOW) is None


@PROPERTY
@given(value=st.text())
def test_retry_after_is_none_or_within_one_second_and_one_hour(value):
    # when
    seconds = parse_retry_after(value, NOW)

    # then
    assert seconds is None or 1.0 <= seconds <= 3600.0
