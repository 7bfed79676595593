"""The baseline sender: a bare `requests.Session` (keep-alive) that signs each body with
HMAC-SHA256 and POSTs it — no Django, no database, no queue. One process per run.

    burst URL BODIES_JSON SECRET KEY [--no-env]
                                       load the bodies, connect, print "ready", wait for a
                                       line on stdin, send them all as fast as it can, then
                                       print "<finish time.time()> <2xx answers>"; with
                                       --no-env the session skips requests' per-request
                                       environment lookups (trust_env=False), as the
                                       engine's sessions do when no proxy is configured
    paced URL RATE DURATION_S OUT      send RATE requests/s for DURATION_S, writing
                                       "<webhook-id> <send time.time()>" per request to OUT
"""

import base64
import hashlib
import hmac
import json
import sys
import time

import requests

TIME_LIMIT_S = 120.0


def signed_headers(body: bytes, message_id: str, secret: str, key: str) -> dict[str, str]:
    """The headers the engine sends, computed inline (both HMAC-SHA256 signatures)."""
    timestamp = str(int(time.time()))
    sw_key = (
        base64.b64decode(secret.removeprefix("whsec_") + "==")
        if secret.startswith("whsec_")
        else secret.encode()
    )
    signed = f"{message_id}.{timestamp}.".encode() + body
    return {
        "Content-Type": "application/json",
        "User-Agent": "bench-bare-client",
        "webhook-id": message_id,
        "webhook-timestamp": timestamp,
        "api-key": key,
        "X-Webhook-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "webhook-signature": "v1,"
        + base64.b64encode(hmac.new(sw_key, signed, hashlib.sha256).digest()).decode(),
    }


def burst(url: str, bodies_path: str, secret: str, key: str, *options: str) -> None:
    messages = [(mid, body.encode()) for mid, body in json.load(open(bodies_path))]
    session = requests.Session()
    session.trust_env = "--no-env" not in options
    session.post(url + "-warmup", data=b"{}").raise_for_status()
    print("ready", flush=True)
    sys.stdin.readline()
    deadline = time.monotonic() + TIME_LIMIT_S
    ok = 0
    for message_id, body in messages:
        response = session.post(
            url, data=body, headers=signed_headers(body, message_id, secret, key)
        )
        ok += 200 <= response.status_code < 300
        if time.monotonic() > deadline:
            break
    print(time.time(), ok, flush=True)


def paced(url: str, rate: float, duration_s: float, out_path: str) -> None:
    session = requests.Session()
    session.post(url, data=b"{}", headers={"webhook-id": "warmup"}).raise_for_status()
    body = b'{"action":"update","model":"program","model_id":1}'
    start = time.monotonic() + 0.5
    with open(out_path, "w") as out:
        for n in range(int(rate * duration_s)):
            due = start + n / rate
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            elif -wait > 5:  # hopelessly behind: stop rather than run on
                break
            message_id = f"bare_{n}"
            out.write(f"{message_id} {time.time()}\n")
            session.post(url, data=body, headers=signed_headers(body, message_id, "s" * 32, "k"))


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "burst":
        burst(*args)
    else:
        paced(args[0], float(args[1]), float(args[2]), args[3])
