"""An OTLP/HTTP sink for the benchmark: accepts every POST (traces, metrics, logs) and discards it.

The services under test export spans to a collector; a real collector would compete with them for
the machine's two cores, so the bench points ``OTEL_EXPORTER_OTLP_ENDPOINT`` here instead. It
answers ``200`` with an empty protobuf body (a valid ``ExportTraceServiceResponse``), keeps
connections alive, and counts what it received so the report can show that spans did flow.

    python bench/sink.py PORT
"""

from __future__ import annotations

import asyncio
import signal
import sys

RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n"
MAX_BODY = 64 * 1024 * 1024


class Counters:
    __slots__ = ("bytes", "requests")

    def __init__(self) -> None:
        self.requests = 0
        self.bytes = 0


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counters: Counters) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = min(int(value.strip() or 0), MAX_BODY)
            if length:
                await reader.readexactly(length)
            counters.requests += 1
            counters.bytes += length
            if head.startswith(b"GET /stats"):
                body = f'{{"requests": {counters.requests}, "bytes": {counters.bytes}}}'.encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )
            else:
                writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    counters = Counters()
    server = await asyncio.start_server(lambda r, w: _serve(r, w, counters), "127.0.0.1", port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
