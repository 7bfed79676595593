"""HTTP load with wrk (Debian's): POSTs from a list of prepared requests (path, headers,
body) taken in turn, over a fixed number of connections for a fixed time, bounded in
requests. What the run sent and how it was answered comes back as a dict."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["Prepared", "keyed", "run_wrk"]

# One request wrk sends: its path (None: the URL's), headers and body.
Prepared = tuple[str | None, dict[str, str], str]

# Runs in wrk: the prepared requests, taken in turn; counts what was sent and how it was
# answered, stops sending after max_requests answers, and prints one JSON line.
WRK_SCRIPT = """\
local specs = {%(requests)s}
local max_requests = %(max_requests)d
local prepared = {}
local threads = {}
sent, ok, other = 0, 0, 0

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    for i, spec in ipairs(specs) do
        prepared[i] = wrk.format("POST", spec.path, spec.headers, spec.body)
    end
end

function request()
    sent = sent + 1
    return prepared[sent %% #prepared + 1]
end

function response(status, headers, body)
    if status >= 200 and status < 300 then ok = ok + 1 else other = other + 1 end
    if ok + other >= max_requests then wrk.thread:stop() end
end

function done(summary, latency, requests)
    local totals = {sent = 0, ok = 0, other = 0}
    for _, thread in ipairs(threads) do
        for name, _ in pairs(totals) do totals[name] = totals[name] + thread:get(name) end
    end
    local e = summary.errors
    io.write(string.format(
        'WRK-RESULT {"sent": %%d, "ok": %%d, "other": %%d, "seconds": %%f, '
        .. '"p50_ms": %%f, "p99_ms": %%f, "socket_errors": %%d}\\n',
        totals.sent, totals.ok, totals.other, summary.duration / 1e6,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        e.connect + e.read + e.write + e.timeout))
end
"""


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII is a valid Lua string literal


def _lua_request(prepared: Prepared) -> str:
    path, headers, body = prepared
    fields = ", ".join(f"[{lua_string(n)}] = {lua_string(v)}" for n, v in headers.items())
    where = f"path = {lua_string(path)}, " if path else ""
    return f"{{{where}headers = {{{fields}}}, body = {lua_string(body)}}}"


def keyed(keys: list[str], body: str) -> list[Prepared]:
    """The same JSON body with each API key in turn (the API's hooks)."""
    return [(None, {"Content-Type": "application/json", "api-key": key}, body) for key in keys]


def run_wrk(
    url: str,
    *,
    requests: list[Prepared],
    connections: int,
    seconds: int,
    max_requests: int,
    tmp: Path,
) -> dict:
    """One wrk run against `url`: `sent`, `ok` (2xx), `other`, `seconds`, `p50_ms`,
    `p99_ms` and `socket_errors`. Exits if wrk is missing or `max_requests` cut it short."""
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: `apt-get install -y wrk` (scripts/bench.sh does).")
    script = tmp / "load.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "requests": ", ".join(_lua_request(prepared) for prepared in requests),
            "max_requests": max_requests,
        }
    )
    finished = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script, url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    for line in finished.stdout.splitlines():
        if line.startswith("WRK-RESULT "):
            result = json.loads(line.removeprefix("WRK-RESULT "))
            if result["ok"] + result["other"] >= max_requests:
                sys.exit(f"wrk stopped at {max_requests} requests before {seconds} s: raise it.")
            return result
    sys.exit(f"wrk printed no result:\n{finished.stdout}\n{finished.stderr}")
