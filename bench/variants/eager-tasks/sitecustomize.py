"""A/B variant: every new asyncio event loop gets ``asyncio.eager_task_factory`` (Python 3.12+).

    make bench BENCH_ARGS="--scenarios 1 --variant eager:PYTHONPATH=bench/variants/eager-tasks"

Python imports ``sitecustomize`` at start from the path, so the server under test (Granian builds
its loop with ``asyncio.new_event_loop()``) runs every task eagerly: a task that finishes without
waiting never goes through the loop. Measured and not adopted (docs/performance.md).
"""

from __future__ import annotations

import asyncio

_new_event_loop = asyncio.DefaultEventLoopPolicy.new_event_loop


def _eager_loop(policy: asyncio.DefaultEventLoopPolicy) -> asyncio.AbstractEventLoop:
    loop = _new_event_loop(policy)
    loop.set_task_factory(asyncio.eager_task_factory)
    return loop


asyncio.DefaultEventLoopPolicy.new_event_loop = _eager_loop  # type: ignore[method-assign]
