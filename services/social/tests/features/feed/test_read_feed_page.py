from __future__ import annotations

import asyncio

import asyncpg
import msgspec

from fleetkit.ids import new_id, utcnow
from social.avatar_directory import AvatarCard
from social.features.feed.read_feed_page.command import ReadFeedPage
from social.features.feed.read_feed_page.handler import read_feed_page
from social.features.feed.read_feed_page.schema import FeedPageResponse
from social.features.post.publish_post.command import PublishPost
from social.features.post.publish_post.handler import publish_post
from social.snapshots.refresher import RefreshJob
from social.snapshots.store import save_snapshots

TTL_S = 60.0


async def publish(pool, directory, bearer, author, avatar_id=None, text="hello"):
    return await publish_post(PublishPost(author, text, avatar_id, bearer), pool=pool, avatars=directory)


async def read(pool, directory, refresher, social_metrics, bearer, *, after=None, limit=20, now=None):
    cmd = ReadFeedPage(after=after, limit=limit, now=now or utcnow(), bearer=bearer)
    return await read_feed_page(
        cmd, pool=pool, avatars=directory, refresher=refresher, metrics=social_metrics, snapshot_ttl_s=TTL_S
    )


async def age_snapshots(pool, seconds):
    await pool.execute("UPDATE feed_entries SET snapshot_at = snapshot_at - make_interval(secs => $1)", seconds)


def sample(metrics, name, **labels):
    return metrics.registry.get_sample_value(name, labels) or 0.0


async def test_the_feed_is_keyset_paginated_newest_first(pool, directory, refresher, social_metrics, bearer):
    ids = [(await publish(pool, directory, bearer, new_id(), text=f"p{i}")).id for i in range(5)]
    seen, after = [], None
    for expected in (2, 2, 1):
        page = await read(pool, directory, refresher, social_metrics, bearer, after=after, limit=2)
        assert len(page.items) == expected
        seen += [item.post_id for item in page.items]
        after = page.next_after
    assert after is None
    assert seen == ids[::-1]


async def test_fresh_snapshots_are_served_from_the_read_model_without_calling_avatars(
    pool, directory, refresher, social_metrics, fake_avatars, bearer
):
    author = new_id()
    avatar_id = fake_avatars.add(author, "Captain Teal")
    await publish(pool, directory, bearer, author, avatar_id)
    calls = fake_avatars.calls
    page = await read(pool, directory, refresher, social_metrics, bearer)
    assert fake_avatars.calls == calls
    assert not page.degraded
    [item] = page.items
    assert item.author_name == "Captain Teal"
    assert item.avatar is not None
    assert item.avatar.name == "Captain Teal"


async def test_snapshots_past_the_ttl_are_confirmed_with_one_batch_get_for_the_whole_page(
    pool, directory, refresher, social_metrics, fake_avatars, bearer
):
    alice, bob = new_id(), new_id()
    a, b = fake_avatars.add(alice, "Alice A"), fake_avatars.add(bob, "Bob B")
    for author, avatar_id in ((alice, a), (alice, a), (bob, b)):
        await publish(pool, directory, bearer, author, avatar_id)
    await publish(pool, directory, bearer, new_id())
    await age_snapshots(pool, TTL_S + 1)
    fake_avatars.cards[a]["name"] = "Alice Renamed"
    calls = fake_avatars.calls
    page = await read(pool, directory, refresher, social_metrics, bearer)
    assert fake_avatars.calls == calls + 1, "one batch-get for the page, never one per post"
    assert sorted(fake_avatars.requested[-1]) == sorted([str(a), str(b)])
    assert not page.degraded
    assert [i.author_name for i in page.items if i.avatar_id == a] == ["Alice Renamed"] * 2
    stored = await pool.fetchval("SELECT count(*) FROM feed_entries WHERE author_name = 'Alice Renamed'")
    assert stored == 2
    again = await read(pool, directory, refresher, social_metrics, bearer)
    assert fake_avatars.calls == calls + 1, "confirmed snapshots are fresh again"
    assert again.items == page.items


async def test_with_avatars_down_the_feed_degrades_instead_of_failing(
    pool, directory, refresher, social_metrics, fake_avatars, bearer, metrics
):
    author = new_id()
    avatar_id = fake_avatars.add(author, "Captain Teal")
    await publish(pool, directory, bearer, author, avatar_id)
    plain = await publish(pool, directory, bearer, new_id())
    await age_snapshots(pool, TTL_S + 1)
    fake_avatars.mode = "error"
    page = await read(pool, directory, refresher, social_metrics, bearer)
    assert page.degraded
    by_id = {i.post_id: i for i in page.items}
    [with_avatar] = [i for i in page.items if i.avatar_id == avatar_id]
    assert with_avatar.avatar is None, "an unconfirmed snapshot is not shown"
    assert with_avatar.author_name == "Captain Teal"
    assert by_id[plain.id].author_name.startswith("user-")
    assert sample(metrics, "social_feed_degraded_total", reason="server_error") == 1


async def test_a_deleted_avatar_falls_back_to_the_default_author_name(
    pool, directory, refresher, social_metrics, fake_avatars, bearer
):
    author = new_id()
    avatar_id = fake_avatars.add(author)
    await publish(pool, directory, bearer, author, avatar_id)
    await age_snapshots(pool, TTL_S + 1)
    del fake_avatars.cards[avatar_id]
    page = await read(pool, directory, refresher, social_metrics, bearer)
    [item] = page.items
    assert not page.degraded
    assert item.avatar is None
    assert item.author_name == f"user-{author.hex[-8:]}"


async def test_ageing_snapshots_are_served_and_handed_to_the_worker(
    pool, directory, refresher, social_metrics, fake_avatars, bearer
):
    author = new_id()
    avatar_id = fake_avatars.add(author)
    await publish(pool, directory, bearer, author, avatar_id)
    await age_snapshots(pool, TTL_S * 0.75)
    calls = fake_avatars.calls
    page = await read(pool, directory, refresher, social_metrics, bearer)
    assert page.items[0].avatar is not None
    assert fake_avatars.calls == calls
    assert refresher.queued == 1
    await read(pool, directory, refresher, social_metrics, bearer)
    assert refresher.queued == 1, "an avatar already queued is not queued twice"


async def test_a_full_queue_defers_the_work_as_stale_marks_and_counts_it(
    pool, directory, refresher, social_metrics, fake_avatars, bearer, metrics
):
    for _ in range(4):
        assert await refresher.submit([new_id()], bearer)
    author = new_id()
    avatar_id = fake_avatars.add(author)
    await publish(pool, directory, bearer, author, avatar_id)
    await age_snapshots(pool, TTL_S * 0.75)
    await read(pool, directory, refresher, social_metrics, bearer)
    assert refresher.queued == 4, "bounded"
    assert await pool.fetchval("SELECT snapshot_stale FROM feed_entries") is True
    assert sample(metrics, "social_snapshot_refresh_deferred_total", cause="queue_full") == 1


async def test_the_worker_refreshes_queued_avatars_and_sweeps_stale_ones(
    pool, directory, refresher, social_metrics, fake_avatars, bearer
):
    alice, bob = new_id(), new_id()
    a, b = fake_avatars.add(alice, "Alice"), fake_avatars.add(bob, "Bob")
    await publish(pool, directory, bearer, alice, a)
    await publish(pool, directory, bearer, bob, b)
    await pool.execute("UPDATE feed_entries SET snapshot_stale = true WHERE avatar_id = $1", b)
    fake_avatars.cards[a]["name"] = "Alice 2"
    fake_avatars.cards[b]["name"] = "Bob 2"
    await refresher.refresh(RefreshJob((a,), bearer))
    assert sorted(fake_avatars.requested[-1]) == sorted([str(a), str(b)]), "the stale one rides along"
    rows = await pool.fetch("SELECT author_name, snapshot_stale FROM feed_entries ORDER BY author_name")
    assert [tuple(r) for r in rows] == [("Alice 2", False), ("Bob 2", False)]


async def test_the_worker_marks_its_batch_stale_when_avatars_is_down(
    pool, directory, refresher, social_metrics, fake_avatars, bearer, metrics
):
    author = new_id()
    avatar_id = fake_avatars.add(author)
    await publish(pool, directory, bearer, author, avatar_id)
    fake_avatars.mode = "error"
    await refresher.refresh(RefreshJob((avatar_id,), bearer))
    assert await pool.fetchval("SELECT snapshot_stale FROM feed_entries") is True
    assert sample(metrics, "social_snapshot_refreshes_total", outcome="unavailable") == 1


async def test_the_running_worker_drains_the_queue_and_defers_leftovers_at_stop(
    pool, directory, refresher, fake_avatars, bearer
):
    author = new_id()
    avatar_id = fake_avatars.add(author, "Before")
    await publish(pool, directory, bearer, author, avatar_id)
    fake_avatars.cards[avatar_id]["name"] = "After"
    async with refresher.running():
        await refresher.submit([avatar_id], bearer)
        for _ in range(100):
            if await pool.fetchval("SELECT author_name FROM feed_entries") == "After":
                break
            await asyncio.sleep(0.02)
        assert await pool.fetchval("SELECT author_name FROM feed_entries") == "After"
        fake_avatars.mode = "slow"
        fake_avatars.delay_s = 2.0
        await refresher.submit([avatar_id], bearer)
        await asyncio.sleep(0.05)
    assert await pool.fetchval("SELECT snapshot_stale FROM feed_entries") is True, "in-flight work is deferred"


# --- over HTTP --------------------------------------------------------------------------------


async def test_get_feed_answers_200_with_items_and_flags(client, token_for, fake_avatars):
    author = new_id()
    headers = {"Authorization": f"Bearer {token_for(author)}"}
    avatar_id = fake_avatars.add(author, "Captain Teal")
    await client.post("/v1/posts", json={"text": "hi", "avatar_id": str(avatar_id)}, headers=headers)
    response = await client.get("/v1/feed", params={"limit": 10}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["degraded"] is False
    assert body["next_after"] is None
    [item] = body["items"]
    assert item["author_name"] == "Captain Teal"
    assert item["avatar"]["id"] == str(avatar_id)
    assert item["avatar"]["updated_at"] == "2025-01-02T03:04:05Z"


async def test_get_feed_names_a_bad_query_parameter(client, token_for):
    headers = {"Authorization": f"Bearer {token_for(new_id())}"}
    for params, field in (({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"after": "x"}, "after")):
        response = await client.get("/v1/feed", params=params, headers=headers)
        assert response.status_code == 400, params
        assert response.headers["content-type"] == "application/problem+json"
        assert field in response.json()["detail"]


async def test_repeated_failures_open_the_breaker_and_then_no_call_reaches_avatars(
    client, token_for, fake_avatars, pool
):
    author = new_id()
    headers = {"Authorization": f"Bearer {token_for(author)}"}
    avatar_id = fake_avatars.add(author)
    await client.post("/v1/posts", json={"text": "hi", "avatar_id": str(avatar_id)}, headers=headers)
    fake_avatars.mode = "error"
    calls = fake_avatars.calls
    for _ in range(2):  # 2 attempts each (SOCIAL_RETRY_ATTEMPTS); the 3rd failure opens it
        await age_snapshots(pool, 3600)
        assert (await client.get("/v1/feed", headers=headers)).json()["degraded"] is True
    reached = fake_avatars.calls - calls
    assert reached == 3
    for _ in range(3):
        response = await client.get("/v1/feed", headers=headers)
        assert response.status_code == 200
        assert response.json()["degraded"] is True
    assert fake_avatars.calls - calls == reached, "no call reached avatars while the breaker was open"
    after = scrape((await client.get("/metrics")).text)
    assert after['dependency_breaker_state{dependency="avatars"}'] == 2
    # The 2nd request's retry was refused by the just-opened breaker, then 3 whole requests.
    assert after['dependency_requests_total{dependency="avatars",outcome="short_circuited"}'] == 4
    assert after['social_feed_degraded_total{reason="short_circuited"}'] == 4


def scrape(text):
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line[:1] != "#"}


async def test_the_page_is_encoded_as_the_documented_response_field_for_field(
    pool, directory, refresher, social_metrics, fake_avatars, bearer
):
    author = new_id()
    await publish(pool, directory, bearer, new_id())
    await publish(pool, directory, bearer, author, fake_avatars.add(author, "Captain Teal"))
    page = await read(pool, directory, refresher, social_metrics, bearer, limit=1)
    body = msgspec.json.encode(page)
    as_documented = msgspec.json.decode(body, type=FeedPageResponse)
    assert msgspec.json.encode(as_documented) == body, "same fields, same order, nothing more"
    assert as_documented.items[0].avatar is not None
    assert as_documented.next_after is not None


async def test_a_snapshot_write_skips_entries_another_transaction_holds_instead_of_waiting(
    pool, database_url, directory, fake_avatars, bearer
):
    """Concurrent feed requests refreshing the same authors locked the same entries in different
    orders and deadlocked (500s in make bench's feed scenario): a snapshot write never waits."""
    author = new_id()
    avatar_id = fake_avatars.add(author)
    held = await publish(pool, directory, bearer, author, avatar_id, text="held by someone else")
    free = await publish(pool, directory, bearer, author, avatar_id, text="free")
    card = AvatarCard(
        id=avatar_id, owner_id=author, name="Renamed", render_url="http://a/1/image.svg", updated_at=utcnow()
    )
    other = await asyncpg.connect(database_url)
    try:
        async with other.transaction():
            await other.execute("SELECT 1 FROM feed_entries WHERE post_id = $1 FOR UPDATE", held.id)
            await asyncio.wait_for(save_snapshots(pool, [avatar_id], [card], utcnow()), timeout=5)
            renamed = dict(await pool.fetch("SELECT post_id, avatar_name FROM feed_entries"))
            await asyncio.wait_for(save_snapshots(pool, [avatar_id], [], utcnow()), timeout=5)  # avatar gone
            cleared = dict(await pool.fetch("SELECT post_id, avatar_name FROM feed_entries"))
    finally:
        await other.close()
    assert renamed[free.id] == "Renamed"
    assert renamed[held.id] != "Renamed"  # skipped: a later read refreshes it
    assert cleared[free.id] is None
    assert cleared[held.id] == renamed[held.id]
