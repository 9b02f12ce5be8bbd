"""The lifespan's start-up: objects built at start leave the garbage collector's walk."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable, Iterator

import pytest
from kit_support import serving
from litestar import Litestar

from fleetkit.lifespan import _freeze_startup_objects


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_first_freeze_moves_what_exists_out_of_the_collectors_walk(unfrozen: None) -> None:
    assert gc.get_freeze_count() == 0
    tracked = len(gc.get_objects())
    _freeze_startup_objects()
    frozen = gc.get_freeze_count()
    assert frozen > tracked // 2
    assert len(gc.get_objects()) < tracked // 10


def test_a_second_app_in_the_same_process_does_not_freeze_again(unfrozen: None) -> None:
    _freeze_startup_objects()
    frozen = gc.get_freeze_count()
    garbage_of_later = [[i] for i in range(1000)]
    _freeze_startup_objects()
    assert gc.get_freeze_count() == frozen
    del garbage_of_later


async def test_starting_a_service_freezes_its_start_up_objects(
    unfrozen: None, make_app: Callable[..., Litestar], database_url: str
) -> None:
    async with serving(make_app(database_url)) as client:
        assert gc.get_freeze_count() > 0
        assert (await client.get("/livez")).status_code == 200


async def test_the_tests_run_on_the_loop_they_were_asked_for() -> None:
    """FLEET_TEST_LOOP=uvloop really puts the kit's async tests on uvloop (and unset, on asyncio)."""
    loop = type(asyncio.get_running_loop())
    expected = os.environ.get("FLEET_TEST_LOOP", "asyncio")
    assert loop.__module__.split(".")[0] == expected, loop
