from __future__ import annotations

import tracemalloc

import msgspec

from fleetkit.ids import new_id
from social.features.post.export_my_posts.command import ExportMyPosts
from social.features.post.export_my_posts.handler import export_my_posts
from social.features.post.export_my_posts.queries import SELECT_MY_POSTS_FOR_EXPORT
from social.features.post.export_my_posts.schema import ExportedPost

POSTS = 100_000
TEXT = "x" * 120


async def seed(pool, author, count):
    """``count`` posts (and their feed entries) for ``author``, written server-side."""
    await pool.execute(
        """
        WITH p AS (
            INSERT INTO posts (id, author_id, text, created_at)
            SELECT gen_random_uuid(), $1, $2, now() - make_interval(secs => g) FROM generate_series(1, $3) g
            RETURNING id, author_id, text, created_at
        )
        INSERT INTO feed_entries (post_id, author_id, author_name, text, created_at, like_count)
        SELECT id, author_id, 'someone', text, created_at, 3 FROM p
        """,
        author,
        TEXT,
        count,
    )


async def test_exporting_100k_posts_streams_them_all_in_flat_memory(pool):
    author = new_id()
    await seed(pool, author, POSTS)
    await seed(pool, new_id(), 10)
    lines = total = 0
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        async for chunk in export_my_posts(ExportMyPosts(author), pool=pool):
            lines += chunk.count(b"\n")
            total += len(chunk)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert lines == POSTS
    assert total > 20_000_000, "the export really is large"
    # Buffering the rows (fetch() or a list of lines) would hold the whole ~20+ MB at once; the
    # stream holds one prefetch batch and one chunk.
    print(f"streamed {total / 1e6:.1f} MB, peak {peak / 1e6:.2f} MB")
    assert peak < 4_000_000, f"peak {peak / 1e6:.1f} MB while streaming {total / 1e6:.1f} MB"
    buffered = await traced_peak(pool.fetch(SELECT_MY_POSTS_FOR_EXPORT, author))
    assert buffered > 4_000_000, f"the bound would catch buffering (fetch() peaks at {buffered / 1e6:.1f} MB)"


async def traced_peak(awaitable):
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        result = await awaitable
        peak = tracemalloc.get_traced_memory()[1] - baseline
        del result
    finally:
        tracemalloc.stop()
    return peak


async def test_each_line_carries_the_posts_own_like_and_comment_counts(pool):
    author = new_id()
    await seed(pool, author, 1)  # the seeded feed entry says 3 likes
    await pool.execute("UPDATE feed_entries SET comment_count = 5")
    chunks = [chunk async for chunk in export_my_posts(ExportMyPosts(author), pool=pool)]
    (line,) = b"".join(chunks).splitlines()
    exported = msgspec.json.decode(line, type=ExportedPost)
    assert (exported.like_count, exported.comment_count, exported.text) == (3, 5, TEXT)


async def test_get_export_streams_ndjson_of_only_the_callers_posts(client, token_for, pool):
    author = new_id()
    headers = {"Authorization": f"Bearer {token_for(author)}"}
    for text in ("one", "two", "three"):
        await client.post("/v1/posts", json={"text": text}, headers=headers)
    someone = {"Authorization": f"Bearer {token_for(new_id())}"}
    await client.post("/v1/posts", json={"text": "not mine"}, headers=someone)
    response = await client.get("/v1/me/posts/export", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    rows = [msgspec.json.decode(line) for line in response.content.splitlines()]
    assert [r["text"] for r in rows] == ["one", "two", "three"]
    assert set(rows[0]) == {"id", "text", "avatar_id", "created_at", "like_count", "comment_count"}
    assert rows[0]["created_at"].endswith("Z")


async def test_an_export_of_nothing_is_an_empty_200(client, token_for):
    response = await client.get("/v1/me/posts/export", headers={"Authorization": f"Bearer {token_for(new_id())}"})
    assert response.status_code == 200
    assert response.content == b""
