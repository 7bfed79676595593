"""Alert policies: when a stream outage becomes a `down` alert, and its end an `up`.

The decision is a pure function, `decide(memory, observation, now=…)`, of what a policy
remembers about one subject (a stream for condition `any`; all its streams together for
`all`), what the streams look like now, and the time. Its rules:
- a subject that goes down starts an outage; the down alert goes out once the outage has
  lasted the policy's grace period — exactly once per outage;
- a subject that recovers ends the outage: an `up` alert goes out if a `down` did and
  the policy asks for recovery alerts; a recovery inside the grace period sends nothing,
  so flapping never alerts;
- a down alert is sent only when it reaches someone: with no enabled notify webhook it
  stays due (the outage reads "alert not sent") and goes out once one is added;
- policies are independent: several covering one stream with different grace periods
  and notify webhooks escalate.

`evaluate_alert_policies` is the shell: it runs after every recorded check (for the
policies covering that stream; webhooks/receivers.py hears `stream_checked`) and on its
own minutely tick (all policies, webhooks.tasks), so a grace period ends on time even
when no check arrives at that moment. Each policy is
evaluated under a row lock, so concurrent checks never send an alert twice; what it
remembers lives in AlertState rows, which exist only while a subject is down.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.db import transaction
from django.db.models import Q

from stations.models import Stream
from webhooks.choices import AlertCondition, AlertType
from webhooks.event_types import STREAM_ALERT, StreamAlert
from webhooks.models import AlertPolicy, AlertState
from webhooks.publish import publish_event

__all__ = [
    "Memory",
    "Observation",
    "decide",
    "evaluate_alert_policies",
    "observe_all",
    "observe_stream",
    "outage_alert_status",
]

logger = logging.getLogger("stationhooks.alerts")


@dataclass(frozen=True)
class Memory:
    """What a policy remembers about one subject: the outage it is tracking, if any."""

    down_since: datetime | None = None
    down_sent: bool = False


@dataclass(frozen=True)
class Observation:
    """A subject's current state; `since` is when it entered it (the outage's start)."""

    is_down: bool
    since: datetime | None = None


def decide(
    memory: Memory,
    observation: Observation,
    *,
    now: datetime,
    grace: timedelta,
    notify_recovery: bool,
) -> tuple[Memory, AlertType | None]:
    """The policy's next memory of the subject, and the alert to send now, if any."""
    if not observation.is_down:
        if memory.down_sent and notify_recovery:
            return Memory(), AlertType.UP
        return Memory(), None
    if memory.down_sent:
        return memory, None
    down_since = observation.since or memory.down_since or now
    if now - down_since >= grace:
        return Memory(down_since=down_since, down_sent=True), AlertType.DOWN
    return Memory(down_since=down_since), None


def outage_alert_status(
    *,
    down_since: datetime,
    down_sent_at: datetime | None,
    grace: timedelta,
    has_recipient: bool,
    now: datetime,
    zone: tzinfo,
) -> tuple[bool, str]:
    """How an outage a policy tracks reads in the admin: whether its down alert went out
    and, if not, why (times in the station's `zone`)."""
    if down_sent_at is not None:
        return True, f"alert sent at {down_sent_at.astimezone(zone):%H:%M:%S %Z}"
    due = down_since + grace
    if now < due:
        return False, f"alert not sent (grace running until {due.astimezone(zone):%H:%M %Z})"
    if not has_recipient:
        return False, "alert not sent: the policy has no enabled notify webhook"
    return False, "alert not sent yet: due now, goes out at the next evaluation"


def observe_stream(stream: Stream) -> Observation:
    """A stream is down when its latest check said so; never checked is not down."""
    return Observation(is_down=stream.is_up is False, since=stream.state_changed_at)


def observe_all(streams: list[Stream]) -> Observation:
    """All streams are down once the last of them went down."""
    if not streams or any(stream.is_up is not False for stream in streams):
        return Observation(is_down=False)
    starts = [s.state_changed_at for s in streams if s.state_changed_at]
    return Observation(is_down=True, since=max(starts) if starts else None)


def _send(
    policy: AlertPolicy,
    stream: Stream | None,
    alert_type: AlertType,
    now: datetime,
    covered: list[Stream],
) -> bool:
    """Publish the alert to the policy's notify webhooks (enabled stream alert webhooks
    of its station, as STREAM_ALERT selects them). False when none would receive it."""
    back_up, still_down = (), ()
    if stream is None and alert_type == AlertType.UP:
        back_up = tuple(s.name for s in covered if s.is_up is not False)
        still_down = tuple(s.name for s in covered if s.is_up is False)
    alert = StreamAlert(
        station=policy.station,
        stream=stream,
        alert_type=alert_type,
        at=now,
        contact_ids=frozenset(policy.contacts.values_list("pk", flat=True)),
        back_up=back_up,
        still_down=still_down,
    )
    sent = publish_event(STREAM_ALERT, alert) is not None
    logger.log(
        logging.INFO if sent else logging.DEBUG,
        "Alert policy %r: %s %s%s",
        policy.name,
        stream.name if stream else "all streams",
        alert_type,
        "" if sent else " (not sent: no enabled notify webhook)",
    )
    return sent


def _remember(
    policy: AlertPolicy,
    stream: Stream | None,
    state: AlertState | None,
    memory: Memory,
    now: datetime,
) -> None:
    if memory.down_since is None:
        if state is not None:
            state.delete()
        return
    down_sent_at = (state.down_sent_at if state else None) or (now if memory.down_sent else None)
    if state is None:
        AlertState.objects.create(
            policy=policy, stream=stream, down_since=memory.down_since, down_sent_at=down_sent_at
        )
    elif (state.down_since, state.down_sent_at) != (memory.down_since, down_sent_at):
        state.down_since, state.down_sent_at = memory.down_since, down_sent_at
        state.save(update_fields=["down_since", "down_sent_at", "updated_at"])


def _covered_streams(policy: AlertPolicy) -> list[Stream]:
    chosen = list(policy.streams.all())
    if chosen:
        return [stream for stream in chosen if stream.station_id == policy.station_id]
    return list(Stream.objects.filter(station_id=policy.station_id))


def _evaluate_policy(policy_id: int, now: datetime) -> int:
    with transaction.atomic():
        policy = (
            AlertPolicy.objects.select_for_update()
            .select_related("station")
            .filter(pk=policy_id, enabled=True)
            .first()
        )
        if policy is None:
            return 0
        grace = timedelta(minutes=policy.grace_minutes)
        states = {state.stream_id: state for state in policy.states.all()}
        covered = _covered_streams(policy)
        if policy.condition == AlertCondition.ALL:
            subjects = [(None, observe_all(covered))]
        else:
            subjects = [(stream, observe_stream(stream)) for stream in covered]
        sent = 0
        for stream, observation in subjects:
            state = states.pop(stream.pk if stream else None, None)
            memory = Memory(state.down_since, state.down_sent_at is not None) if state else Memory()
            memory, alert_type = decide(
                memory,
                observation,
                now=now,
                grace=grace,
                notify_recovery=policy.notify_recovery,
            )
            if alert_type is not None:
                if _send(policy, stream, alert_type, now, covered):
                    sent += 1
                elif alert_type == AlertType.DOWN:  # still due: nobody heard it
                    memory = Memory(down_since=memory.down_since)
            _remember(policy, stream, state, memory, now)
        if states:  # subjects the policy no longer covers, or of its former condition
            AlertState.objects.filter(pk__in=[s.pk for s in states.values()]).delete()
    return sent


def evaluate_alert_policies(*, now: datetime, stream: Stream | None = None) -> int:
    """Evaluate the enabled policies covering `stream` (after a check of it), or all of
    them (the periodic tick; it also forgets the outages of disabled policies).
    Returns the number of alerts published."""
    policies = AlertPolicy.objects.filter(enabled=True)
    if stream is not None:
        policies = policies.filter(station_id=stream.station_id).filter(
            Q(streams=None) | Q(streams=stream)
        )
    else:
        AlertState.objects.filter(policy__enabled=False).delete()
    policy_ids = sorted(set(policies.values_list("pk", flat=True)))
    return sum(_evaluate_policy(policy_id, now) for policy_id in policy_ids)
