"""Finished spans to the OTLP/HTTP endpoint, batched and sent from the worker's event loop.

The SDK's ``BatchSpanProcessor`` exports from a thread of its own. In a worker whose event loop
does all the serving, that thread competes for the GIL: every time the loop releases it for a
socket call the exporter may take it for a whole switch interval, and the loop waits. At the
default sampling that cost the benchmark's small GET several times what encoding the spans
costs (docs/performance.md). This processor does the
same job on the loop: spans queue in a bounded deque as they end (``on_end``, the request's
path: one append), and one task encodes them (``fleetkit.otlp_encode``: the OTLP protobuf message
written straight to bytes, checked against the SDK's encoder) in batches of at most
``max_batch`` spans, and posts them with aiohttp.

Semantics follow the SDK's batch processor and the OTLP/HTTP exporter: a full queue drops new
spans (never blocking a request; counted in ``otel_spans_dropped_total{reason="queue_full"}``
and logged once, on the first drop); ``429``/``502``/``503``/``504`` and connection failures are
retried with exponential back-off within ``timeout_s``; other answers drop the batch. Headers,
gzip compression and the collector's CA certificate come from the kit settings that carry the
SDK's variables (``OTEL_EXPORTER_OTLP(_TRACES)_HEADERS/_COMPRESSION/_CERTIFICATE``).
``force_flush`` sends everything queued (waiting for it when called from another thread, as the
SDK does; starting it when called on the loop, which it must not block). A fault in the sending
task (an attribute that cannot be encoded, say) costs the batch it was sending, is logged, and
the task starts again after a back-off: it never ends exporting for good. On shutdown the queue
is flushed within the lifespan's budget. The exporter's own requests are not traced
(instrumentation is suppressed in its task).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gzip
import ssl
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from opentelemetry.context import Context
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from fleetkit.logging import get_logger
from fleetkit.otlp_encode import SpanEncoder

__all__ = ["DROP_REASONS", "LoopSpanExporter", "SpanExportCollector"]

log = get_logger("fleetkit.otlp")
_RETRYABLE = frozenset({429, 502, 503, 504})
#: Why spans were dropped: the queue was full, the collector refused or never answered a batch,
#: the sending task failed on it, or they ended after shutdown (or were queued past its budget).
DROP_REASONS = ("queue_full", "export_failed", "task_failed", "shutdown")
#: Restart delays of a failed sending task: doubling from the first, capped at the second.
RESTART_BACKOFF_S = (0.5, 30.0)


class LoopSpanExporter(SpanProcessor):
    """A span processor that batches sampled spans and posts them from the event loop.

    ``async with exporter.running(close_timeout):`` in the kit lifespan (or ``start()`` and
    ``await close(timeout)``). ``exported`` counts spans sent, ``dropped_by`` spans dropped per
    reason (``DROP_REASONS``), ``dropped`` their sum.
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
        gzip_body: bool = False,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self.max_queue = max_queue
        self.max_batch = max_batch
        self.delay_s = delay_s
        self.gzip_body = gzip_body
        self.exported = 0
        self.dropped_by = dict.fromkeys(DROP_REASONS, 0)
        self._queue: deque[ReadableSpan] = deque()
        self._headers = {**(headers or {}), "Content-Type": "application/x-protobuf"}
        if gzip_body:
            self._headers["Content-Encoding"] = "gzip"
        self._ssl = ssl_context
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._restart: asyncio.TimerHandle | None = None
        self._restart_delay_s = RESTART_BACKOFF_S[0]
        self._stopping = False
        self._due = False  # the delay passed: send a batch that is not full
        self._flush_waiters: list[asyncio.Future[bool]] = []
        self._sending = 0  # spans of the batch being encoded or posted
        self._queue_full_logged = False
        self._encoder = SpanEncoder()

    @property
    def dropped(self) -> int:
        return sum(self.dropped_by.values())

    def _drop(self, reason: str, count: int) -> None:
        self.dropped_by[reason] += count

    # --- SpanProcessor (called by the SDK) ---

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is None or not context.trace_flags.sampled:
            return
        if len(self._queue) >= self.max_queue:
            self.dropped_by["queue_full" if not self._stopping else "shutdown"] += 1
            if not self._queue_full_logged and not self._stopping:
                self._queue_full_logged = True  # once: under overload a line per span would flood the logs
                log.warning(
                    "otlp_queue_full",
                    max_queue=self.max_queue,
                    note="spans are being dropped; see otel_spans_dropped_total",
                )
            return
        self._queue.append(span)
        if len(self._queue) >= self.max_batch:
            self._nudge()

    def shutdown(self) -> None:
        self._stopping = True
        self._nudge()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Send every queued span now (the SDK's ``TracerProvider.force_flush`` calls this).

        From another thread it waits, at most ``timeout_millis``, for the queue to be sent and
        says whether it was. On the exporter's own loop it cannot wait without blocking every
        request: it starts the flush and answers whether nothing was waiting (``await flush()``
        is the way to wait there).
        """
        loop = self._loop
        if loop is None or self._task is None or loop.is_closed():
            return not self._queue
        timeout_s = timeout_millis / 1000
        if threading.get_ident() == self._loop_thread:
            pending = bool(self._queue)
            if pending:
                self._request_flush()
            return not pending
        future = asyncio.run_coroutine_threadsafe(self.flush(timeout_s), loop)
        try:
            return future.result(timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            return False

    async def flush(self, timeout: float) -> bool:
        """Send every span queued now; True when they were sent (or dropped) within ``timeout``."""
        if not self._queue and not self._sending:
            return True
        waiter = self._request_flush()
        if waiter is None:
            return False
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            return False

    def _request_flush(self) -> asyncio.Future[bool] | None:
        loop = self._loop
        if loop is None or self._stopping:
            return None
        waiter: asyncio.Future[bool] = loop.create_future()
        self._flush_waiters.append(waiter)
        self._nudge()
        return waiter

    def _settle_flushes(self, result: bool) -> None:
        waiters, self._flush_waiters = self._flush_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(result)

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
        self._spawn()

    def _spawn(self) -> None:
        self._restart = None
        if self._loop is None:
            return
        self._task = self._loop.create_task(self._run(), name="otlp-export")
        self._task.add_done_callback(self._on_task_done)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        """A task that ended on a fault: count its batch, log, and start a new one after a back-off."""
        if task.cancelled() or task.exception() is None:
            return
        self._drop("task_failed", self._sending)
        self._sending = 0
        self._settle_flushes(False)
        delay = self._restart_delay_s
        self._restart_delay_s = min(delay * 2, RESTART_BACKOFF_S[1])
        log.error("otlp_export_task_failed", restart_in_s=delay, exc_info=task.exception())
        if not self._stopping and self._loop is not None:
            self._restart = self._loop.call_later(delay, self._spawn)

    async def close(self, timeout: float) -> None:
        """Send what is queued (at most ``timeout`` seconds), then stop; later spans are dropped."""
        self._stopping = True
        if self._task is None:
            return
        if self._restart is not None:  # the task had failed and waits for its restart: one final run
            self._restart.cancel()
            self._spawn()
        task = self._task
        self._nudge()
        _done, pending = await asyncio.wait({task}, timeout=timeout)
        if pending:
            task.cancel()
            await asyncio.wait({task})  # its end, without raising the cancellation here
        self._drop("shutdown", len(self._queue) + self._sending)
        self._queue.clear()
        self._sending = 0
        self._settle_flushes(False)
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
            connector = aiohttp.TCPConnector(ssl=self._ssl if self._ssl is not None else True)
            async with aiohttp.ClientSession(timeout=timeout, headers=self._headers, connector=connector) as session:
                loop = asyncio.get_running_loop()
                if self._queue or self._flush_waiters:  # a restart after a fault: what waited is due
                    wake.set()
                while not self._stopping:
                    timer = loop.call_later(self.delay_s, self._tick)
                    await wake.wait()  # a full batch, the delay, a flush, or the stop
                    timer.cancel()
                    wake.clear()
                    due, self._due = self._due, False
                    flushing = bool(self._flush_waiters)
                    await self._send_queued(session, full_batches_only=not (due or flushing or self._stopping))
                    if flushing:
                        self._settle_flushes(True)
                await self._send_queued(session, full_batches_only=False)
                self._settle_flushes(True)

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
            self._sending = len(batch)
            body = self._encoder.encode(batch)
            if self.gzip_body:
                body = gzip.compress(body, compresslevel=6)
            await self._post(session, body, len(batch))
            self._sending = 0

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
                        self._restart_delay_s = RESTART_BACKOFF_S[0]
                        return
                    outcome, retry = response.status, response.status in _RETRYABLE
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                outcome, retry = type(exc).__name__, True
            if not retry or self._stopping or loop.time() + backoff > deadline:
                self._drop("export_failed", count)
                log.warning("otlp_export_failed", spans=count, outcome=outcome, dropped_total=self.dropped)
                return
            await asyncio.sleep(backoff)
            backoff *= 2


class SpanExportCollector(Collector):
    """``otel_spans_exported_total`` and ``otel_spans_dropped_total{reason}`` of one exporter."""

    def __init__(self, exporter: LoopSpanExporter) -> None:
        self._exporter = exporter

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def collect(self) -> Iterable[Metric]:
        return self._families()

    def _families(self) -> list[Metric]:
        exporter = self._exporter
        exported = CounterMetricFamily("otel_spans_exported", "Spans the collector accepted.", value=exporter.exported)
        dropped = CounterMetricFamily(
            "otel_spans_dropped", "Sampled spans never exported, by reason.", labels=("reason",)
        )
        for reason in DROP_REASONS:
            dropped.add_metric((reason,), exporter.dropped_by[reason])
        return [exported, dropped]
