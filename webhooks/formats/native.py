"""The native format: the event's own JSON (the seeds' shapes), POSTed and signed."""

from webhooks.formats.base import Format, UrlRule, register

__all__ = ["NATIVE"]

NATIVE = register(
    Format(
        name="native",
        label="Native (StationHooks JSON, signed)",
        event_types=None,
        url=UrlRule(help="Your receiver's address: every event is POSTed there as JSON."),
        signed=True,
        help="The event's JSON as xtra, RadioManager and Radio Mast send it, signed.",
    )
)
