"""The inbox: a durable row per inbound report, written in one statement before the hook
answers, and processed by the workers right after.

Two kinds of rows use it: the inbound gateway's accepted requests (webhooks: an
InboundRequest) and the plays the now-playing hooks record (stations.inbound: a TrackPlay
whose event is pending).

- **write** (`inbox.rows.insert_announced`): one INSERT, committed on its own; on
  PostgreSQL the same statement NOTIFYs the row's channel, so the announcement commits
  with the row, never without it. In django-q2's sync mode (the test settings) nobody
  listens, so the row's processor runs in the writing process once the row is committed.
- **wake** (webhooks.due_poller): each worker process's due-time poller LISTENs on the
  channels (and looks on a timer besides, which is all SQLite has) and wakes its
  `InboxWorker` for the channels it heard.
- **process** (`inbox.worker.InboxWorker`): a thread per worker process that runs the
  processor of each woken channel until it has nothing left. A processor claims its rows
  and processes each in a transaction that also marks it done, so a worker killed half-way
  leaves its rows to the next look, and nothing is lost or done twice.

A plain package with no app of its own: `stations` and `webhooks` both import it, and it
imports neither.
"""

from inbox.rows import insert_announced
from inbox.worker import InboxWorker, Processor

__all__ = ["InboxWorker", "Processor", "insert_announced"]
