"""What importing a kit module drags in: handlers import ``fleetkit.db``, and nothing more should come with it."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: Modules a handler's import graph must not reach through the pool: tracing and the HTTP client.
HEAVY = ("opentelemetry", "aiohttp")


@pytest.mark.parametrize("module", ["fleetkit.db", "fleetkit.logging"])
def test_importing_the_pool_or_the_logger_imports_no_tracing_and_no_http_client(module: str) -> None:
    program = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == [], f"import {module} imported {done.stdout.split()}"


def test_log_lines_inside_a_span_carry_its_trace_and_span_ids() -> None:
    program = (
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from fleetkit.logging import configure_logging, get_logger\n"
        "from fleetkit.telemetry import add_trace_ids\n"
        "configure_logging(service='kit-test', level='info', fmt='json', processors=(add_trace_ids,))\n"
        "with TracerProvider().get_tracer('t').start_as_current_span('s') as span:\n"
        "    get_logger('t').info('inside')\n"
        "    print(format(span.get_span_context().trace_id, '032x'), flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True)
    line, trace_id = done.stdout.splitlines()
    assert f'"trace_id":"{trace_id}"' in line
    assert '"span_id":"' in line
