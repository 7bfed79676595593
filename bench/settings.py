"""Settings of the web server that benchmark 6 (bench/inbound_hook.py) starts: the
production settings, read from the same environment (config.settings), with one URL more
(bench/urls.py: the bare DRF view that is the baseline)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
