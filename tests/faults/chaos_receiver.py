"""A webhook receiver that misbehaves on purpose, for the fault tests.

A small threaded HTTP/1.1 server on 127.0.0.1 (random port). For every request it picks
an `Answer` with `choose(webhook_id, attempt_index)` and records, per `webhook-id`, what it
served and when, so a test can replay what the sender must have concluded. Choices derived
from a seed, the message's place in the run and the attempt are reproducible whatever the
order in which concurrent requests arrive.
"""

import enum
import random
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["Answer", "ChaosReceiver", "Served", "seeded_mix"]


class Answer(enum.StrEnum):
    OK = "200"
    SERVER_ERROR = "500"
    RATE_LIMITED = "429"  # with `Retry-After: 1`
    STALL = "stall"  # no answer at all for longer than the sender's request timeout
    TRICKLE = "trickle"  # a 200's headers at once, then the body a byte at a time, too slowly
    CUT = "cut"  # a 200's headers and half its body, then the connection is closed
    DROP = "drop"  # the request is read, then the connection is closed without an answer


RETRY_AFTER_S = 1
BODY = b'{"ok": true, "padding": "0123456789abcdef"}'


@dataclass(frozen=True)
class Served:
    answer: Answer
    arrived_at: float  # time.monotonic() in this process, when the request was read


def seeded_mix(
    seed: int, weights: dict[Answer, float], place_of: Callable[[str], int]
) -> Callable[[str, int], Answer]:
    """A reproducible random answer for attempt `n` (0-based) of message `webhook_id`, which
    is the `place_of(webhook_id)`-th message of the run (webhook-ids are random)."""
    answers, relative = list(weights), list(weights.values())

    def choose(webhook_id: str, n: int) -> Answer:
        key = f"{seed}:{place_of(webhook_id)}:{n}"
        return random.Random(key).choices(answers, relative)[0]

    return choose


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # many keep-alive sessions connect at once
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A sender that gave up or was killed resets its connections: expected here."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ChaosReceiver:
    """Use as a context manager; `url` is where to point the webhook.

    `stall_s` is how long STALL waits before answering and TRICKLE takes for its body: set
    it well past the sender's request timeout."""

    def __init__(
        self,
        choose: Callable[[str, int], Answer] = lambda _id, _n: Answer.OK,
        *,
        stall_s: float = 3.0,
        handling_s: float = 0.0,
    ) -> None:
        self.choose = choose
        self.stall_s = stall_s
        self.handling_s = handling_s
        self.served: dict[str, list[Served]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/hook"

    def requests_served(self) -> int:
        with self._lock:
            return sum(len(s) for s in self.served.values())

    def __enter__(self) -> "ChaosReceiver":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next_answer(self, webhook_id: str) -> Answer:
        with self._lock:
            history = self.served.setdefault(webhook_id, [])
            answer = self.choose(webhook_id, len(history))
            history.append(Served(answer, time.monotonic()))
            return answer

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the sender's sessions expect

            def log_message(self, *_args) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = receiver._next_answer(self.headers.get("webhook-id", ""))
                if receiver.handling_s:
                    time.sleep(receiver.handling_s)
                try:
                    self._answer(answer)
                except OSError:
                    self.close_connection = True  # the sender gave up first: expected

            def _answer(self, answer: Answer) -> None:
                if answer is Answer.STALL:
                    receiver._stopping.wait(receiver.stall_s)
                    self.close_connection = True
                    self._send(200, BODY)
                elif answer is Answer.TRICKLE:
                    self._send_headers(200, len(BODY))
                    pause_s = receiver.stall_s / len(BODY)
                    for byte in BODY:
                        if receiver._stopping.wait(pause_s):
                            break
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    self.close_connection = True
                elif answer is Answer.CUT:
                    self._send_headers(200, len(BODY))
                    self.wfile.write(BODY[: len(BODY) // 2])
                    self.wfile.flush()
                    self._hang_up()
                elif answer is Answer.DROP:
                    self._hang_up()
                elif answer is Answer.RATE_LIMITED:
                    self._send(429, b"slow down", {"Retry-After": str(RETRY_AFTER_S)})
                elif answer is Answer.SERVER_ERROR:
                    self._send(500, b"oops")
                else:
                    self._send(200, BODY)

            def _send_headers(self, status: int, length: int, headers=None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(length))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()

            def _send(self, status: int, body: bytes, headers=None) -> None:
                self._send_headers(status, len(body), headers)
                self.wfile.write(body)
                self.wfile.flush()

            def _hang_up(self) -> None:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

        return Handler
