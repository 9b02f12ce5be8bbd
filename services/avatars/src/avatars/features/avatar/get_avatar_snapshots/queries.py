# In the order asked for; unknown ids drop out of the join.
SELECT_SNAPSHOTS_BY_IDS = """
SELECT s.id, s.owner_id, s.name, s.updated_at
FROM unnest($1::uuid[]) WITH ORDINALITY AS wanted (id, position)
JOIN avatar_snapshots AS s ON s.id = wanted.id
ORDER BY wanted.position
"""
