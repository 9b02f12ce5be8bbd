"""Traces: W3C context in and across services, parent links down to PostgreSQL, and logs that
name the trace of the request that wrote them."""

from __future__ import annotations

import secrets
import uuid

import httpx

from tests.e2e.client import register_and_login
from tests.observability.conftest import log_lines
from tests.observability.otlp_receiver import OtlpReceiver, ReceivedSpan

BATCH_GET = "/v1/avatars/batch-get"


def traceparent(sampled: bool = True) -> tuple[str, str, str]:
    """A fresh W3C ``traceparent`` as an edge proxy would send it: (header, trace id, span id)."""
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return f"00-{trace_id}-{span_id}-{'01' if sampled else '00'}", trace_id, span_id


def only(spans: list[ReceivedSpan], **match: str) -> ReceivedSpan:
    found = [s for s in spans if all(getattr(s, k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one span with {match}, got {found}"
    return found[0]


def children(spans: list[ReceivedSpan], parent: ReceivedSpan, **match: str) -> list[ReceivedSpan]:
    return [
        s for s in spans if s.parent_span_id == parent.span_id and all(getattr(s, k) == v for k, v in match.items())
    ]


def test_a_sampled_traceparent_makes_the_server_span_its_child_with_the_route_template(fleet, otlp: OtlpReceiver):
    header, trace_id, parent_id = traceparent()
    response = httpx.get(f"{fleet.url('identity')}/v1/me", headers={"traceparent": header})
    assert response.status_code == 401
    spans = otlp.wait_for(lambda all_: any(s.trace_id == trace_id for s in all_))
    server = only([s for s in spans if s.trace_id == trace_id], kind="SERVER")
    assert server.parent_span_id == parent_id
    assert server.name == "GET /v1/me"
    assert server.service == "identity"
    assert server.attributes["http.route"] == "/v1/me"
    assert server.attributes["http.response.status_code"] == 401
    assert {"service.version", "service.instance.id"} <= server.resource.keys()
    # OTEL_RESOURCE_ATTRIBUTES (the chart's downward-API attributes) reach every span.
    assert server.resource["k8s.namespace.name"] == "obs-test"


def test_an_unsampled_traceparent_is_honoured_and_nothing_is_exported(fleet, otlp: OtlpReceiver):
    header, trace_id, _ = traceparent(sampled=False)
    httpx.get(f"{fleet.url('identity')}/v1/me", headers={"traceparent": header})
    marker, marker_id, _ = traceparent()
    httpx.get(f"{fleet.url('identity')}/v1/me", headers={"traceparent": marker})
    # The later sampled request's span arriving means the earlier one would have too.
    otlp.wait_for(lambda all_: any(s.trace_id == marker_id for s in all_))
    assert otlp.trace(trace_id) == []


def test_identity_request_spans_reach_postgresql_and_its_log_lines_carry_the_trace(fleet, otlp: OtlpReceiver):
    """Reusing a rotated refresh token is logged inside the request: the line joins the trace."""
    user = register_and_login(fleet.url("identity"))
    with httpx.Client(base_url=fleet.url("identity"), timeout=10) as http:
        body = {"refresh_token": user.refresh_token}
        assert http.post("/v1/sessions/refresh", json=body).status_code == 200
        header, trace_id, _ = traceparent()
        reused = http.post("/v1/sessions/refresh", json=body, headers={"traceparent": header})
    assert reused.status_code == 401
    spans = otlp.wait_for(lambda all_: any(s.trace_id == trace_id and s.kind == "SERVER" for s in all_))
    trace = [s for s in spans if s.trace_id == trace_id]
    server = only(trace, kind="SERVER", service="identity")
    assert server.name == "POST /v1/sessions/refresh"
    queries = children(trace, server, kind="CLIENT")
    assert queries, f"no asyncpg spans under the server span: {trace}"
    assert all(q.attributes.get("db.system") == "postgresql" for q in queries)
    assert all(q.service == "identity" for q in queries)

    lines = [line for line in log_lines(fleet, "identity") if line.get("trace_id") == trace_id]
    events = {line["event"] for line in lines}
    assert "refresh_token_reuse_detected" in events, events
    span_ids = {s.span_id for s in trace}
    assert all(line["span_id"] in span_ids for line in lines)


def test_a_post_with_an_avatar_is_one_trace_from_social_through_avatars_to_postgresql(fleet, otlp: OtlpReceiver):
    """social checks the avatar with avatars' batch-get, which reads its database, in one trace.

    The avatar id is unknown to avatars (so the post is refused with 422): the path is the
    same as for a real avatar and needs no wizard run.
    """
    user = register_and_login(fleet.url("identity"))
    before = {s.span_id for s in otlp.spans}
    response = httpx.post(
        f"{fleet.url('social')}/v1/posts",
        json={"text": "traced", "avatar_id": str(uuid.uuid4())},
        headers=user.auth,
        timeout=10,
    )
    assert response.status_code == 422, response.text

    def root_arrived(spans: list[ReceivedSpan]) -> bool:
        return any(s.span_id not in before and s.service == "social" and s.name == "POST /v1/posts" for s in spans)

    root = only(
        [s for s in otlp.wait_for(root_arrived) if s.span_id not in before],
        service="social",
        name="POST /v1/posts",
    )
    assert root.kind == "SERVER"
    assert root.parent_span_id == ""
    # Each service exports on its own schedule: wait until avatars' database span is in too.
    otlp.wait_for(
        lambda spans: any(s.trace_id == root.trace_id and s.service == "avatars" and s.kind == "CLIENT" for s in spans)
    )
    trace = otlp.trace(root.trace_id)
    assert {s.service for s in trace} == {"social", "avatars"}

    (call,) = children(trace, root, kind="CLIENT", service="social")
    assert call.attributes.get("http.request.method", call.attributes.get("http.method")) == "POST"
    (served,) = children(trace, call, kind="SERVER", service="avatars")
    assert served.name == f"POST {BATCH_GET}"
    queries = children(trace, served, kind="CLIENT", service="avatars")
    assert queries, f"no asyncpg spans under avatars' server span: {trace}"
    assert all(q.attributes.get("db.system") == "postgresql" for q in queries)

    span_ids = {s.span_id: s.service for s in trace}
    for service in ("social", "avatars"):
        lines = [line for line in log_lines(fleet, service) if line.get("trace_id") == root.trace_id]
        assert lines, f"{service} wrote no log line inside the request"
        assert all(span_ids.get(line["span_id"]) == service for line in lines), lines


def test_an_unsampled_request_to_social_stays_unsampled_in_avatars(fleet, otlp: OtlpReceiver):
    """W3C flags travel with the call: avatars follows social's decision, so no partial traces."""
    user = register_and_login(fleet.url("identity"))
    body = {"text": "untraced", "avatar_id": str(uuid.uuid4())}
    header, trace_id, _ = traceparent(sampled=False)
    response = httpx.post(
        f"{fleet.url('social')}/v1/posts", json=body, headers={**user.auth, "traceparent": header}, timeout=10
    )
    assert response.status_code == 422, response.text
    marker, marker_id, _ = traceparent()
    httpx.post(f"{fleet.url('social')}/v1/posts", json=body, headers={**user.auth, "traceparent": marker}, timeout=10)
    otlp.wait_for(lambda spans: {"social", "avatars"} <= {s.service for s in spans if s.trace_id == marker_id})
    assert otlp.trace(trace_id) == []
    # ...yet the unsampled request's log lines still carry its trace id, in both services.
    for service in ("social", "avatars"):
        assert any(line.get("trace_id") == trace_id for line in log_lines(fleet, service)), service
