"""The signal the six push models send when they change.

Station data knows nothing of webhooks: it announces "these objects were created,
updated, deleted or recovered" and the webhooks app (webhooks.push) turns that into push
messages, in the same transaction.
"""

from django.dispatch import Signal

__all__ = ["announce_changes", "push_records_changed"]

# sender: the model class; changes: list of (pk, station_id); action: PushAction value
push_records_changed = Signal()


def announce_changes(model, changes: list[tuple[int, int]], action: str) -> None:
    if changes:
        push_records_changed.send(sender=model, changes=changes, action=action)
