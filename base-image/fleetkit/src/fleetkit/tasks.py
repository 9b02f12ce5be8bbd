"""A bounded set of background tasks owned by the worker, cancelled and awaited on shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from fleetkit.logging import get_logger

__all__ = ["BackgroundTasks"]

log = get_logger("fleetkit.tasks")


class BackgroundTasks:
    __slots__ = ("_limit", "_tasks")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> bool:
        """Start ``coro`` unless the set is full; False means the caller must defer the work."""
        if len(self._tasks) >= self._limit:
            coro.close()
            return False
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return True

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background_task_failed", task=task.get_name(), exc_info=task.exception())

    async def close(self, timeout: float) -> None:
        """Cancel every task and wait for them, at most ``timeout`` seconds."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout)
