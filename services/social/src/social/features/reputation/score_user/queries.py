# The reputation formula, in SQL so only one row crosses the wire (see handler.py for the words).
# 604800 = seconds in 7 days: each contribution halves every 7 days. Only what existed at $2
# counts (posts, comments and likes created after "now" are ignored), so a fixed "now" gives a
# fixed score.
SELECT_REPUTATION = """
WITH post_points AS (
    SELECT CASE WHEN count(l.user_id) > 100 THEN 2.0 ELSE 1.0 END
           * power(0.5::float8, extract(epoch FROM ($2 - p.created_at))::float8 / 604800.0)
           AS points
    FROM posts p
    LEFT JOIN likes l ON l.post_id = p.id AND l.created_at <= $2
    WHERE p.author_id = $1 AND p.created_at <= $2
    GROUP BY p.id
),
comment_points AS (
    SELECT 0.5 * power(0.5::float8, extract(epoch FROM ($2 - c.created_at))::float8 / 604800.0)
           AS points
    FROM comments c
    WHERE c.author_id = $1 AND c.created_at <= $2
)
SELECT least(
           1000,
           round((10 * (coalesce((SELECT sum(points) FROM post_points), 0)
                        + coalesce((SELECT sum(points) FROM comment_points), 0)))::numeric, 2)
       )::float8 AS score,
       (SELECT count(*) FROM post_points)::int AS posts,
       (SELECT count(*) FROM comment_points)::int AS comments
"""
