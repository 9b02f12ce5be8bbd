# The reputation formula (handler.py has it in words), one statement, one row back. Only the
# engagement a user's posts received from other users counts, and only what existed at $2
# ("now"), so a fixed "now" gives a fixed score. 604800 = seconds in 7 days: a like or comment
# weighs half as much every 7 days of its own age. A post's like weight (2 past 100 likes) uses
# its like count at $2. The likes primary key (post_id, user_id) and comments_post index serve
# the per-post lookups; posts_author_id finds the user's posts.
SELECT_REPUTATION = """
WITH my_posts AS (
    SELECT id FROM posts WHERE author_id = $1 AND created_at <= $2
),
post_likes AS (
    SELECT count(*) AS likes,
           sum(power(0.5::float8, extract(epoch FROM ($2 - l.created_at))::float8 / 604800.0))
               AS decayed
    FROM my_posts p
    JOIN likes l ON l.post_id = p.id AND l.user_id <> $1 AND l.created_at <= $2
    GROUP BY p.id
),
received_comments AS (
    SELECT count(*) AS comments,
           coalesce(sum(0.5 * power(0.5::float8,
                                     extract(epoch FROM ($2 - c.created_at))::float8 / 604800.0)),
                    0) AS points
    FROM my_posts p
    JOIN comments c ON c.post_id = p.id AND c.author_id <> $1 AND c.created_at <= $2
),
raw AS (
    SELECT coalesce((SELECT sum(CASE WHEN likes > 100 THEN 2.0 ELSE 1.0 END * decayed)
                     FROM post_likes), 0)
           + (SELECT points FROM received_comments) AS points
)
SELECT round((1000.0 * (1.0 - exp(-(SELECT points FROM raw) / 200.0)))::numeric, 2)::float8 AS score,
       (SELECT count(*) FROM my_posts)::int AS posts,
       coalesce((SELECT sum(likes) FROM post_likes), 0)::int AS likes,
       (SELECT comments FROM received_comments)::int AS comments
"""
