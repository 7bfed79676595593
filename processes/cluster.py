"""`manage.py` processes and gunicorn, each the leader of its own process group, and the
tree of a running `qcluster`, read from /proc (psutil is not installed).

django-q2's tree: the `qcluster` main process starts one sentinel, which starts the
workers first, then the monitor and the pusher, and replaces any of them that dies.
"""

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PROJECT_DIR",
    "ClusterTree",
    "children_of",
    "cluster_pids",
    "cluster_tree",
    "kill",
    "kill_group",
    "start_cluster",
    "start_gunicorn",
    "start_manage",
    "stop_group",
]

PROJECT_DIR = Path(__file__).resolve().parent.parent
WAIT_AFTER_KILL_S = 30


def _start(command: list[str], env: dict[str, str], log_path: Path | None) -> subprocess.Popen:
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            [sys.executable, *command],
            cwd=PROJECT_DIR,
            env=env,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    finally:
        if log_path:
            log.close()


def start_manage(
    args: list[str], env: dict[str, str], *, log_path: Path | None = None
) -> subprocess.Popen:
    """`manage.py *args` in a new process group (so the whole tree can be stopped at
    once), with `env`; its output goes to `log_path`, or nowhere."""
    return _start(["manage.py", *args], env, log_path)


def start_gunicorn(
    env: dict[str, str], *, port: int, workers: int = 1, log_path: Path | None = None
) -> subprocess.Popen:
    """gunicorn serving `config.wsgi` on 127.0.0.1:`port` with `workers` sync workers, in
    a new process group, as the README's production command runs it. Unlike `runserver`
    it starts without touching the database."""
    options = ["--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    return _start(["-m", "gunicorn", "config.wsgi:application", *options], env, log_path)


def start_cluster(env: dict[str, str], *, log_path: Path | None = None) -> subprocess.Popen:
    return start_manage(["qcluster"], env, log_path=log_path)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL every process of the group at once (a crash), and reap the leader."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=WAIT_AFTER_KILL_S)


def stop_group(process: subprocess.Popen, *, grace_s: float = 30) -> bool:
    """SIGTERM to the leader only, as an init system would (a `qcluster` stops its
    children), then SIGKILL to whatever of the group is left after `grace_s`. Returns
    whether the leader stopped within the grace period: a cluster whose task queue is stuck
    (a worker killed while idle) never stops by itself."""
    process.terminate()
    try:
        process.wait(timeout=grace_s)
        stopped = True
    except subprocess.TimeoutExpired:
        stopped = False
    kill_group(process)
    return stopped


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


def cluster_pids(cluster: subprocess.Popen) -> list[int]:
    """Every live process below the cluster's main process (sentinel, workers, pusher,
    monitor)."""
    found, todo = [], [cluster.pid]
    while todo:
        for child in children_of(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


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
