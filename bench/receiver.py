"""A webhook receiver that records when each message arrived: one line per request,
"<webhook-id> <time.time()>", written to OUT as soon as the request's headers are read.
Answers 204 with HTTP/1.1 keep-alive. Runs until SIGTERM. No Django.

    .venv/bin/python -m bench.receiver PORT OUT
"""

import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_lock = threading.Lock()
    log = None

    def do_POST(self) -> None:
        arrived = time.time()
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.log_lock:
            self.log.write(f"{self.headers.get('webhook-id', '-')} {arrived}\n")
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args) -> None:
        pass


def main(port: int, out_path: str) -> None:
    with open(out_path, "w", buffering=1) as log:
        RecordingHandler.log = log
        server = ThreadingHTTPServer(("127.0.0.1", port), RecordingHandler)
        server.daemon_threads = True
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
        server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
