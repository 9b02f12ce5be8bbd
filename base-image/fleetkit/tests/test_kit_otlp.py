"""The loop span exporter against a real OTLP/HTTP receiver on 127.0.0.1 (aiohttp.web).

The receiver decodes every export with the OTLP protobuf schema, so these tests see what a
collector would; it can be told to answer with an error status first, to exercise retries.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from multidict import CIMultiDict
from opentelemetry import trace
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON
from prometheus_client import CollectorRegistry, generate_latest
from structlog.testing import CapturingLogger

from fleetkit import otlp
from fleetkit.otlp import LoopSpanExporter, SpanExportCollector
from fleetkit.otlp_encode import SpanEncoder
from fleetkit.settings import KitSettings, SettingsError
from fleetkit.telemetry import collector_ssl_context, export_headers, traces_endpoint


@dataclass
class Receiver:
    endpoint: str = ""
    failures: list[int] = field(default_factory=list)  # statuses to answer first, in order
    batches: list[list[str]] = field(default_factory=list)  # span names per accepted export
    headers: list[CIMultiDict[str]] = field(default_factory=list)
    posts: int = 0

    @property
    def names(self) -> list[str]:
        return [name for batch in self.batches for name in batch]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()

    async def export(request: web.Request) -> web.Response:
        state.posts += 1
        state.headers.append(request.headers.copy())
        if state.failures:
            return web.Response(status=state.failures.pop(0))
        message = ExportTraceServiceRequest.FromString(await request.read())
        state.batches.append([span.name for rs in message.resource_spans for ss in rs.scope_spans for span in ss.spans])
        body = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=body, content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", export)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.endpoint = f"http://127.0.0.1:{port}/v1/traces"
    yield state
    await runner.cleanup()


def _provider(exporter: LoopSpanExporter, *, sampled: bool = True) -> TracerProvider:
    provider = TracerProvider(sampler=ALWAYS_ON if sampled else ALWAYS_OFF)
    provider.add_span_processor(exporter)
    return provider


def _make_spans(provider: TracerProvider, count: int, prefix: str = "op") -> None:
    tracer = provider.get_tracer("test")
    for i in range(count):
        tracer.start_span(f"{prefix}-{i}", kind=trace.SpanKind.SERVER).end()


async def _eventually(condition: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_export_headers_come_from_the_settings_as_the_sdk_parses_them() -> None:
    settings = KitSettings(
        service_name="t",
        database_url="postgresql://x@127.0.0.1/x",
        otel_exporter_otlp_headers="authorization=Bearer%20abc,x-tenant=t1",
        otel_exporter_otlp_traces_headers="x-tenant=t2",
    )
    assert export_headers(settings) == {"authorization": "Bearer abc", "x-tenant": "t2"}


async def test_sampled_spans_arrive_in_bounded_batches_with_the_configured_headers(receiver: Receiver) -> None:
    headers = {"authorization": "Bearer abc", "x-tenant": "t2"}
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, headers=headers, max_batch=4, delay_s=0.05)
    exporter.start()
    provider = _provider(exporter)
    instrumentor = AioHttpClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)  # the exporter's own posts must not be traced
    try:
        _make_spans(provider, 10)
        _make_spans(_provider(exporter, sampled=False), 3, prefix="unsampled")
        await _eventually(lambda: len(receiver.names) >= 10)
        await asyncio.sleep(0.2)  # time for any stray export (an instrumented post) to arrive
    finally:
        instrumentor.uninstrument()
        await exporter.close(timeout=5)
    assert sorted(receiver.names) == sorted(f"op-{i}" for i in range(10))
    assert all(len(batch) <= 4 for batch in receiver.batches)
    assert exporter.exported == 10
    assert exporter.dropped == 0
    assert receiver.headers[0]["authorization"] == "Bearer abc"
    assert receiver.headers[0]["x-tenant"] == "t2"
    assert receiver.headers[0]["content-type"] == "application/x-protobuf"
    # An instrumented post would carry the exporter's own trace context.
    assert not any("traceparent" in headers for headers in receiver.headers)


async def test_a_retryable_answer_is_retried_and_the_batch_arrives_once(receiver: Receiver) -> None:
    receiver.failures = [503, 429]
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=10, delay_s=0.05)
    exporter.start()
    try:
        _make_spans(_provider(exporter), 3)
        await _eventually(lambda: exporter.exported == 3, timeout=8)
    finally:
        await exporter.close(timeout=5)
    assert receiver.posts == 3
    assert receiver.names == ["op-0", "op-1", "op-2"]
    assert exporter.dropped == 0


async def test_a_refused_batch_is_dropped_and_counted_without_retrying(receiver: Receiver) -> None:
    receiver.failures = [400]
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, delay_s=0.05)
    exporter.start()
    try:
        _make_spans(_provider(exporter), 2)
        await _eventually(lambda: exporter.dropped == 2)
        _make_spans(_provider(exporter), 1, prefix="later")
        await _eventually(lambda: exporter.exported == 1)
    finally:
        await exporter.close(timeout=5)
    assert receiver.posts == 2
    assert receiver.names == ["later-0"]


async def test_an_unreachable_collector_costs_the_batch_not_the_service() -> None:
    exporter = LoopSpanExporter("http://127.0.0.1:1/v1/traces", timeout_s=0.6, delay_s=0.05)
    exporter.start()
    try:
        _make_spans(_provider(exporter), 2)
        await _eventually(lambda: exporter.dropped == 2)
    finally:
        await exporter.close(timeout=5)
    assert exporter.exported == 0


async def test_a_full_queue_drops_new_spans_instead_of_blocking(receiver: Receiver) -> None:
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, max_queue=5, max_batch=100, delay_s=60)
    exporter.start()
    _make_spans(_provider(exporter), 8)  # no loop turn in between: nothing is sent yet
    assert exporter.dropped == 3
    await exporter.close(timeout=5)  # close flushes what was queued
    assert sorted(receiver.names) == [f"op-{i}" for i in range(5)]
    assert exporter.exported == 5


async def test_spans_ending_after_close_are_dropped(receiver: Receiver) -> None:
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, delay_s=0.05)
    exporter.start()
    await exporter.close(timeout=5)
    _make_spans(_provider(exporter), 2)
    assert exporter.dropped == 2
    assert receiver.posts == 0


async def test_running_flushes_what_is_queued_when_the_block_ends(receiver: Receiver) -> None:
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, delay_s=60)
    async with exporter.running(close_timeout=5):
        _make_spans(_provider(exporter), 3)  # no full batch, no delay passed: only the exit sends them
    assert receiver.names == ["op-0", "op-1", "op-2"]
    assert exporter.exported == 3


# --- what issue 19 found: silent drops, a force_flush that did not flush, a task that died ---


@pytest.fixture
def captured_log(monkeypatch: pytest.MonkeyPatch) -> CapturingLogger:
    """structlog's own recording logger in place of the exporter's, to count its log lines."""
    logger = CapturingLogger()
    monkeypatch.setattr(otlp, "log", logger)
    return logger


async def test_a_full_queue_is_counted_in_metrics_and_logged_once(receiver: Receiver, captured_log) -> None:
    registry = CollectorRegistry()
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, max_queue=5, max_batch=100, delay_s=60)
    registry.register(SpanExportCollector(exporter))
    exporter.start()
    _make_spans(_provider(exporter), 8)
    _make_spans(_provider(exporter), 4, prefix="more")
    await exporter.close(timeout=5)
    text = generate_latest(registry).decode()
    assert 'otel_spans_dropped_total{reason="queue_full"} 7.0' in text
    assert 'otel_spans_dropped_total{reason="export_failed"} 0.0' in text
    assert "otel_spans_exported_total 5.0" in text
    full = [call for call in captured_log.calls if call.args == ("otlp_queue_full",)]
    assert len(full) == 1  # seven drops, one line
    assert full[0].kwargs["max_queue"] == 5


async def test_force_flush_from_another_thread_sends_the_queue_before_answering(receiver: Receiver) -> None:
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, max_batch=100, delay_s=60)
    exporter.start()
    try:
        _make_spans(_provider(exporter), 3)  # no full batch, no delay passed: only a flush sends them
        assert await asyncio.to_thread(exporter.force_flush, 5_000) is True
        assert receiver.names == ["op-0", "op-1", "op-2"]
        assert exporter.exported == 3
        # the SDK's own entry point reaches it the same way
        provider = _provider(exporter)
        _make_spans(provider, 2, prefix="sdk")
        assert await asyncio.to_thread(provider.force_flush, 5_000) is True
        assert receiver.names[3:] == ["sdk-0", "sdk-1"]
    finally:
        await exporter.close(timeout=5)


async def test_flush_on_the_loop_waits_and_force_flush_there_starts_it(receiver: Receiver) -> None:
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, max_batch=100, delay_s=60)
    exporter.start()
    try:
        _make_spans(_provider(exporter), 2)
        assert await exporter.flush(5) is True
        assert exporter.exported == 2
        _make_spans(_provider(exporter), 1, prefix="later")
        assert exporter.force_flush() is False  # cannot wait on its own loop: not sent yet, but started
        await _eventually(lambda: exporter.exported == 3)
        assert exporter.force_flush() is True  # nothing waiting
    finally:
        await exporter.close(timeout=5)


async def test_a_fault_in_the_sending_task_costs_one_batch_and_exporting_goes_on(
    receiver: Receiver, captured_log, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(otlp, "RESTART_BACKOFF_S", (0.05, 0.1))
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, max_batch=2, delay_s=0.05)
    encode = SpanEncoder.encode
    faults = [TypeError("an attribute value of type object cannot be encoded")]

    def failing_once(self, spans):
        if faults:
            raise faults.pop()
        return encode(self, spans)

    monkeypatch.setattr(SpanEncoder, "encode", failing_once)
    exporter.start()
    try:
        _make_spans(_provider(exporter), 2, prefix="lost")
        await _eventually(lambda: exporter.dropped_by["task_failed"] == 2)
        _make_spans(_provider(exporter), 3, prefix="after")
        await _eventually(lambda: exporter.exported == 3)
    finally:
        await exporter.close(timeout=5)
    assert sorted(receiver.names) == ["after-0", "after-1", "after-2"]
    assert [c.args for c in captured_log.calls if c.method_name == "error"] == [("otlp_export_task_failed",)]


async def test_gzip_compression_sends_a_gzip_body_the_collector_reads(receiver: Receiver) -> None:
    exporter = LoopSpanExporter(receiver.endpoint, timeout_s=5, delay_s=0.05, gzip_body=True)
    async with exporter.running(close_timeout=5):
        _make_spans(_provider(exporter), 2)
    assert receiver.names == ["op-0", "op-1"]  # aiohttp's server inflated it: it was gzip
    assert receiver.headers[0]["content-encoding"] == "gzip"


def _settings(**values: str) -> KitSettings:
    return KitSettings(service_name="t", database_url="postgresql://x@127.0.0.1/x", **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, ""),
        ({"otel_exporter_otlp_endpoint": "http://c:4318"}, "http://c:4318/v1/traces"),
        ({"otel_exporter_otlp_endpoint": "http://c:4318/base/"}, "http://c:4318/base/v1/traces"),
        ({"otel_exporter_otlp_traces_endpoint": "http://t:4318/custom"}, "http://t:4318/custom"),
        (
            {"otel_exporter_otlp_endpoint": "http://c:4318", "otel_exporter_otlp_traces_endpoint": "http://t:9/x"},
            "http://t:9/x",
        ),
    ],
)
def test_the_traces_endpoint_follows_the_otlp_rules(values: dict[str, str], expected: str) -> None:
    assert traces_endpoint(_settings(**values)) == expected


def test_a_certificate_that_cannot_be_read_stops_start_up_naming_the_variable(tmp_path) -> None:
    with pytest.raises(SettingsError, match="OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE"):
        collector_ssl_context(_settings(otel_exporter_otlp_traces_certificate=str(tmp_path / "missing.pem")))
    (tmp_path / "junk.pem").write_text("not a certificate", encoding="utf-8")
    with pytest.raises(SettingsError, match="OTEL_EXPORTER_OTLP_CERTIFICATE"):
        collector_ssl_context(_settings(otel_exporter_otlp_certificate=str(tmp_path / "junk.pem")))
    assert collector_ssl_context(_settings()) is None


async def test_the_collectors_ca_certificate_setting_is_what_tls_trusts(tmp_path) -> None:
    ca_pem, server_context = _self_signed_ca_and_server(tmp_path)
    app = web.Application()
    posts: list[int] = []

    async def export(request: web.Request) -> web.Response:
        posts.append(len(await request.read()))
        return web.Response(
            body=ExportTraceServiceResponse().SerializeToString(), content_type="application/x-protobuf"
        )

    app.router.add_post("/v1/traces", export)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    endpoint = f"https://127.0.0.1:{port}/v1/traces"
    try:
        # The traces form wins over a general one that points at a file that is not a CA of this server.
        (tmp_path / "other.pem").write_bytes(_self_signed_ca_and_server(tmp_path / "other")[0].read_bytes())
        settings = _settings(
            otel_exporter_otlp_traces_certificate=str(ca_pem),
            otel_exporter_otlp_certificate=str(tmp_path / "other.pem"),
        )
        trusted = LoopSpanExporter(endpoint, timeout_s=2, delay_s=0.05, ssl_context=collector_ssl_context(settings))
        async with trusted.running(close_timeout=5):
            _make_spans(_provider(trusted), 2)
        untrusted = LoopSpanExporter(endpoint, timeout_s=0.6, delay_s=0.05)  # the system's CAs only
        async with untrusted.running(close_timeout=5):
            _make_spans(_provider(untrusted), 2)
    finally:
        await runner.cleanup()
    assert (trusted.exported, trusted.dropped) == (2, 0)
    assert (untrusted.exported, untrusted.dropped_by["export_failed"]) == (0, 2)
    assert len(posts) == 1


def _self_signed_ca_and_server(folder) -> tuple[Path, ssl.SSLContext]:
    """A CA (its PEM written to ``folder``) and a server context for 127.0.0.1 signed by it."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)

    def certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        )  # Python 3.13's default context verifies strictly (X.509 v3 key identifiers required)
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                    encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )  # fmt: skip
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
            )
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("fleet test CA", ca_key, "fleet test CA", ca_key, ca=True)
    server = certificate("127.0.0.1", server_key, "fleet test CA", ca_key, ca=False)
    ca_pem = folder / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain, key = folder / "server.pem", folder / "server.key"
    chain.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain, key)
    return ca_pem, context
