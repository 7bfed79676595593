"""Real processes for the tests and the benchmarks: `manage.py` commands and gunicorn in
their own process group (a `qcluster`, a web server), stopping or crashing them, reading a
cluster's process tree from /proc, free ports, and waiting for a condition.

The tests (tests/cluster_helpers.py, tests/faults/) and the benchmarks (bench/harness.py)
import it; it imports neither, nor any Django code: each caller builds the environment its
processes need (the test database and keys, or the bench database and production
settings).
"""

from processes.cluster import (
    PROJECT_DIR,
    ClusterTree,
    children_of,
    cluster_pids,
    cluster_tree,
    kill,
    kill_group,
    start_cluster,
    start_gunicorn,
    start_manage,
    stop_group,
)
from processes.waiting import free_port, wait_for, wait_for_port

__all__ = [
    "PROJECT_DIR",
    "ClusterTree",
    "children_of",
    "cluster_pids",
    "cluster_tree",
    "free_port",
    "kill",
    "kill_group",
    "start_cluster",
    "start_gunicorn",
    "start_manage",
    "stop_group",
    "wait_for",
    "wait_for_port",
]
