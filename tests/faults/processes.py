"""The processes of a running `qcluster`, read from /proc (psutil is not installed).

django-q2's tree: the `qcluster` main process starts one sentinel, which starts the
workers first, then the monitor and the pusher, and replaces any of them that dies.
"""

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.cluster_helpers import kill_cluster

__all__ = ["ClusterTree", "children_of", "cluster_tree", "kill", "shut_down"]


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, process group) of a live process, None once it is gone or a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text.rsplit(")", 1)[1].split()  # the name in parentheses may contain spaces
    state, ppid, pgrp = fields[0], int(fields[1]), int(fields[2])
    return None if state in ("Z", "X") else (ppid, pgrp)


def children_of(pid: int) -> list[int]:
    """Live children of `pid`, oldest (lowest pid) first."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) and stat[0] == pid:
            children.append(int(entry))
    return sorted(children)


@dataclass(frozen=True)
class ClusterTree:
    sentinel: int
    workers: list[int]
    auxiliaries: list[int]  # monitor and pusher


def cluster_tree(main_pid: int, workers: int, known_auxiliaries: list[int]) -> ClusterTree | None:
    """The cluster's processes once they are all up, else None. The monitor and pusher are
    the two processes spawned right after the first workers; pass them back in later calls
    (`known_auxiliaries`) so replaced workers are told apart from them."""
    sentinels = children_of(main_pid)
    if len(sentinels) != 1:
        return None
    pool = children_of(sentinels[0])
    if len(pool) != workers + 2:
        return None
    auxiliaries = known_auxiliaries or pool[workers:]
    if not set(auxiliaries) <= set(pool):
        return None
    return ClusterTree(sentinels[0], [p for p in pool if p not in auxiliaries], list(auxiliaries))


def kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def shut_down(cluster: subprocess.Popen, grace_s: float = 10) -> None:
    """SIGTERM to the main process, SIGKILL to the group if it has not stopped in `grace_s`:
    a cluster whose task queue is stuck (a worker killed while idle) never stops by itself."""
    cluster.terminate()
    try:
        cluster.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    kill_cluster(cluster)
