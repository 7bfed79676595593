"""A tiny threaded TCP server for the answers pytest-httpserver cannot give: a SHOUTcast 1
`ICY 200 OK`, a live stream that never ends, a connection that never answers."""

import socket
import threading
from collections.abc import Callable

Handler = Callable[[socket.socket, threading.Event], None]


class RawServer:
    """Runs `handler(connection, stopping)` on its own thread for every connection."""

    def __init__(self, handler: Handler):
        self._handler = handler
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._accept_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/live") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.settimeout(5)
                _read_request(connection)
                self._handler(connection, self._stopping)
            except OSError:
                pass  # the monitor hung up: it has read what it needed

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self._listener.close()

    def __enter__(self) -> "RawServer":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _read_request(connection: socket.socket) -> bytes:
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = connection.recv(4096)
        if not chunk:
            break
        request += chunk
    return request


def never_answer(connection: socket.socket, stopping: threading.Event) -> None:
    stopping.wait(10)


def icy_stream(body: bytes, content_type: str = "audio/mpeg") -> Handler:
    """SHOUTcast 1: `ICY 200 OK`, icy-* headers, then the audio until it closes."""

    def handler(connection: socket.socket, stopping: threading.Event) -> None:
        connection.sendall(
            b"ICY 200 OK\r\nicy-notice1: This stream requires Winamp\r\n"
            b"icy-name: Test FM\r\nicy-br: 32\r\n"
            + f"content-type: {content_type}\r\n\r\n".encode()
            + body
        )

    return handler


def live_stream(body: bytes, *, start_at: int = 0, content_type: str = "audio/mpeg") -> Handler:
    """An Icecast-like live mount: HTTP/1.0 200, then `body` over and over (from byte
    `start_at`, as a listener joining mid-frame gets it) until the client hangs up."""

    def handler(connection: socket.socket, stopping: threading.Event) -> None:
        connection.sendall(
            f"HTTP/1.0 200 OK\r\nContent-Type: {content_type}\r\nicy-name: Test FM\r\n\r\n".encode()
        )
        connection.sendall(body[start_at:])
        while not stopping.is_set():
            connection.sendall(body)

    return handler
