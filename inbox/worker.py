"""The thread of a worker process that processes inbox rows when its poller wakes it."""

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import close_old_connections

__all__ = ["InboxWorker", "Processor"]

logger = logging.getLogger("stationhooks.inbox")

ERROR_PAUSE_S = 1.0


@dataclass(frozen=True)
class Processor:
    """One kind of inbox row: the channel it is announced on, and `process(limit=…)`,
    which processes up to `limit` rows that are due and returns how many it took."""

    channel: str
    process: Callable[..., int]
    limit: int = 100


class InboxWorker:
    """Runs each woken processor until it takes fewer rows than its limit. `wake()` is
    called by the due-time poller (webhooks.due_poller), from its own thread."""

    def __init__(self, processors: Iterable[Processor]) -> None:
        self.processors = {processor.channel: processor for processor in processors}
        self._changed = threading.Condition()
        self._woken: set[str] = set()
        self._stopping = False

    @property
    def channels(self) -> list[str]:
        return list(self.processors)

    def wake(self, channel: str) -> None:
        with self._changed:
            self._woken.add(channel)
            self._changed.notify()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify()

    def _take_woken(self) -> set[str]:
        with self._changed:
            while not (self._woken or self._stopping):
                self._changed.wait()
            woken, self._woken = self._woken, set()
        return set() if self._stopping else woken

    def run_once(self, channels: Iterable[str]) -> int:
        """Process what is due on `channels` until it runs out; returns rows processed."""
        done = 0
        for channel in channels:
            processor = self.processors[channel]
            while not self._stopping:
                taken = processor.process(limit=processor.limit)
                done += taken
                if taken < processor.limit:
                    break
        return done

    def run_forever(self) -> None:
        """The worker process's loop; returns after `stop()`. A processor that fails is
        logged and its channel looked at again after a pause (its rows are still due)."""
        while not self._stopping:
            woken = self._take_woken()
            try:
                self.run_once(woken)
            except Exception:
                logger.exception("Processing the inbox failed; trying again")
                close_old_connections()
                time.sleep(ERROR_PAUSE_S)
                with self._changed:
                    self._woken |= woken
