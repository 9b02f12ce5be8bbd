"""After the e2e run on kind: prove a social -> avatars trace reached Jaeger and every service's
request and pool metrics reached Prometheus.

    python scripts/kind/check_observability.py --jaeger URL --prometheus URL --release NAME

Polls both for up to --timeout seconds (the collector batches spans; Prometheus scrapes every
few seconds), then exits 0 or prints what was missing and exits 1. The parsing functions are
pure so tests/kind tests them on recorded answers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

SERVICES = ("identity", "avatars", "social")
METRICS = ("http_requests_total", "db_pool_size")


def cross_service_links(trace: dict[str, Any], caller: str, callee: str) -> int:
    """Spans of ``callee`` whose direct parent is a span of ``caller`` in one Jaeger trace."""
    service_of_process = {pid: p["serviceName"] for pid, p in trace.get("processes", {}).items()}
    service_of_span = {s["spanID"]: service_of_process.get(s["processID"]) for s in trace["spans"]}
    links = 0
    for span in trace["spans"]:
        if service_of_process.get(span["processID"]) != callee:
            continue
        for ref in span.get("references", []):
            if ref.get("refType") == "CHILD_OF" and service_of_span.get(ref["spanID"]) == caller:
                links += 1
    return links


def trace_crossing(traces: list[dict[str, Any]], caller: str, callee: str) -> str | None:
    """The id of the first trace in which ``caller`` calls ``callee``, else None."""
    for trace in traces:
        if cross_service_links(trace, caller, callee):
            return str(trace["traceID"])
    return None


def jobs_with_samples(answer: dict[str, Any]) -> set[str]:
    """Jobs with a positive sample in a Prometheus instant-query answer."""
    if answer.get("status") != "success":
        return set()
    return {r["metric"].get("job", "") for r in answer["data"]["result"] if float(r["value"][1]) > 0}


def fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        result: dict[str, Any] = json.load(answer)
        return result


def poll[T](probe: Callable[[], T | None], timeout: float) -> T | None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = probe()
        except OSError:
            found = None
        if found or time.monotonic() > deadline:
            return found
        time.sleep(3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jaeger", required=True)
    parser.add_argument("--prometheus", required=True)
    parser.add_argument("--release", default="fleet")
    parser.add_argument("--timeout", type=float, default=90)
    args = parser.parse_args()
    problems = []

    def find_trace() -> str | None:
        query = urllib.parse.urlencode({"service": "social", "limit": 200, "lookback": "1h"})
        return trace_crossing(fetch_json(f"{args.jaeger}/api/traces?{query}")["data"], "social", "avatars")

    trace_id = poll(find_trace, args.timeout)
    if trace_id is None:
        problems.append("no trace in Jaeger where a social span is the parent of an avatars span")
    else:
        print(f"trace {trace_id} crosses social -> avatars")

    expected = {f"{args.release}-{svc}" for svc in SERVICES}
    for metric in METRICS:

        def jobs(metric: str = metric) -> set[str] | None:
            query = urllib.parse.urlencode({"query": f"sum by (job) ({metric})"})
            found = jobs_with_samples(fetch_json(f"{args.prometheus}/api/v1/query?{query}"))
            return found if expected <= found else None

        found = poll(jobs, args.timeout)
        if found is None:
            problems.append(f"Prometheus lacks {metric} for some of {sorted(expected)}")
        else:
            print(f"{metric}: {sorted(found & expected)}")

    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
