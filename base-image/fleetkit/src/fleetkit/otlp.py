"""Finished spans to the OTLP/HTTP endpoint, batched and sent from the worker's event loop.

The SDK's ``BatchSpanProcessor`` exports from a thread of its own. In a worker whose event loop
does all the serving, that thread competes for the GIL: every time the loop releases it for a
socket call the exporter may take it for a whole switch interval, and the loop waits. At the
default 10% sampling that cost the benchmark's small GET about 10% of its throughput
(docs/performance.md), several times what encoding the spans costs. This processor does the
same job on the loop: spans queue in a bounded deque as they end (``on_end``, the request's
path: one append), and one task encodes them (``fleetkit.otlp_encode``: the OTLP protobuf message
written straight to bytes, checked against the SDK's encoder) in batches of at most
``max_batch`` spans, and posts them with aiohttp.

Semantics follow the SDK's batch processor and the OTLP/HTTP exporter: a full queue drops new
spans (counted and logged, never blocking a request); ``429``/``502``/``503``/``504`` and
connection failures are retried with exponential back-off within ``timeout_s``; other answers
drop the batch. The headers of ``OTEL_EXPORTER_OTLP_HEADERS`` and
``OTEL_EXPORTER_OTLP_TRACES_HEADERS`` (kit settings) are sent as the SDK would. On shutdown the
queue is flushed within the lifespan's budget. The exporter's own requests are not traced
(instrumentation is suppressed in its task).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from opentelemetry.context import Context
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from fleetkit.logging import get_logger
from fleetkit.otlp_encode import SpanEncoder

__all__ = ["LoopSpanExporter"]

log = get_logger("fleetkit.otlp")
_RETRYABLE = frozenset({429, 502, 503, 504})


class LoopSpanExporter(SpanProcessor):
    """A span processor that batches sampled spans and posts them from the event loop.

    ``async with exporter.running(close_timeout):`` in the kit lifespan (or ``start()`` and
    ``await close(timeout)``). ``exported`` and ``dropped`` count spans.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        timeout_s: float,
        headers: Mapping[str, str] | None = None,
        max_queue: int = 2048,
        max_batch: int = 128,
        delay_s: float = 1.0,
    ) -> None:
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self.max_queue = max_queue
        self.max_batch = max_batch
        self.delay_s = delay_s
        self.exported = 0
        self.dropped = 0
        self._queue: deque[ReadableSpan] = deque()
        self._headers = {**(headers or {}), "Content-Type": "application/x-protobuf"}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._due = False  # the delay passed: send a batch that is not full
        self._encoder = SpanEncoder()

    # --- SpanProcessor (called by the SDK) ---

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is None or not context.trace_flags.sampled:
            return
        if len(self._queue) >= self.max_queue:
            self.dropped += 1
            return
        self._queue.append(span)
        if len(self._queue) >= self.max_batch:
            self._nudge()

    def shutdown(self) -> None:
        self._stopping = True
        self._nudge()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        self._nudge()
        return True

    # --- the sending task ---

    @asynccontextmanager
    async def running(self, close_timeout: float) -> AsyncIterator[LoopSpanExporter]:
        """Send spans while the block runs; flush what is queued on the way out."""
        self.start()
        try:
            yield self
        finally:
            await self.close(close_timeout)

    def start(self) -> None:
        """Start the sending task on the running loop."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(self._run(), name="otlp-export")

    async def close(self, timeout: float) -> None:
        """Send what is queued (at most ``timeout`` seconds), then stop; later spans are dropped."""
        self._stopping = True
        task = self._task
        if task is None:
            return
        self._nudge()
        _done, pending = await asyncio.wait({task}, timeout=timeout)
        if pending:
            task.cancel()
            await asyncio.wait({task})  # its end, without raising the cancellation here
        self.dropped += len(self._queue)
        self._queue.clear()
        self.max_queue = 0  # nothing is sent any more

    def _nudge(self) -> None:
        wake, loop = self._wake, self._loop
        if wake is None or loop is None or wake.is_set():
            return
        if threading.get_ident() == self._loop_thread:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    async def _run(self) -> None:
        wake = self._wake
        if wake is None:
            msg = "start() creates the wake-up event"
            raise RuntimeError(msg)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        with suppress_instrumentation():
            async with aiohttp.ClientSession(timeout=timeout, headers=self._headers) as session:
                loop = asyncio.get_running_loop()
                while not self._stopping:
                    timer = loop.call_later(self.delay_s, self._tick)
                    await wake.wait()  # a full batch, the delay, or the stop
                    timer.cancel()
                    wake.clear()
                    due, self._due = self._due, False
                    await self._send_queued(session, full_batches_only=not (due or self._stopping))
                await self._send_queued(session, full_batches_only=False)

    def _tick(self) -> None:
        self._due = True
        if self._wake is not None:
            self._wake.set()

    async def _send_queued(self, session: aiohttp.ClientSession, *, full_batches_only: bool) -> None:
        """Send batches of ``max_batch``; the remainder too unless ``full_batches_only``.

        While one batch is posted, requests keep ending spans; sending whatever had arrived
        meanwhile would post a stream of small batches, each paying aiohttp's fixed cost per
        request (under load that was most of the exporter's time). The remainder waits for the
        next full batch or the next ``delay_s``.
        """
        queue = self._queue
        while len(queue) >= self.max_batch or (queue and not full_batches_only):
            batch = [queue.popleft() for _ in range(min(self.max_batch, len(queue)))]
            body = self._encoder.encode(batch)
            await self._post(session, body, len(batch))

    async def _post(self, session: aiohttp.ClientSession, body: bytes, count: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        backoff = 0.5
        while True:
            outcome: Any
            try:
                async with session.post(self.endpoint, data=body) as response:
                    await response.read()
                    if response.status < 300:
                        self.exported += count
                        return
                    outcome, retry = response.status, response.status in _RETRYABLE
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                outcome, retry = type(exc).__name__, True
            if not retry or self._stopping or loop.time() + backoff > deadline:
                self.dropped += count
                log.warning("otlp_export_failed", spans=count, outcome=outcome, dropped_total=self.dropped)
                return
            await asyncio.sleep(backoff)
            backoff *= 2
