"""The due-time poller runs in worker processes only, once each."""

import threading

from webhooks.dispatch import start_due_delivery_poller


def test_no_poller_thread_in_sync_mode():
    # The test settings run django-q2 in sync mode, where post_spawn fires per task.
    start_due_delivery_poller()
    start_due_delivery_poller()
    assert not [t for t in threading.enumerate() if t.name == "due-delivery-poller"]
