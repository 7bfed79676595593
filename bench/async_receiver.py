"""A webhook receiver on asyncio that can hold thousands of connections: it records when
each message arrived ("<webhook-id> <time.time()>" per request, to OUT, as soon as the
request has been read), then answers 204 after DELAY_S seconds, or never (`--silent`: it
accepts connections, reads the requests and holds them open, like a receiver that hung).
At SIGTERM it writes `{"max_connections": N, "requests": N}` to OUT.json: the most
connections open at once, and the requests read. No Django.

    .venv/bin/python -m bench.async_receiver PORT OUT [--delay DELAY_S] [--silent]
"""

import argparse
import asyncio
import json
import signal
import time


class Receiver:
    def __init__(self, out_path: str, delay_s: float, silent: bool) -> None:
        self.log = open(out_path, "w", buffering=1)
        self.stats_path = f"{out_path}.json"
        self.delay_s, self.silent = delay_s, silent
        self.connections = self.max_connections = self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.max_connections = max(self.max_connections, self.connections)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrived = time.time()
                length, message_id = 0, "-"
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"webhook-id":
                        message_id = value.strip().decode()
                await reader.readexactly(length)
                self.requests += 1
                self.log.write(f"{message_id} {arrived}\n")
                if self.silent:  # hold it until the sender gives up and closes it
                    while await reader.read(65536):
                        pass
                    return
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:  # the receiver is stopping
            pass
        finally:
            self.connections -= 1
            writer.close()

    def write_stats(self) -> None:
        with open(self.stats_path, "w") as stats:
            json.dump({"max_connections": self.max_connections, "requests": self.requests}, stats)


async def serve(port: int, receiver: Receiver) -> None:
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", port, backlog=4096)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    receiver.write_stats()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("out")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--silent", action="store_true")
    args = parser.parse_args()
    asyncio.run(serve(args.port, Receiver(args.out, args.delay, args.silent)))


if __name__ == "__main__":
    main()
