# After a conditional write changed nothing: the version now, or no row when the avatar is
# missing or someone else's (both answered alike, so existence does not leak).
SELECT_OWNED_AVATAR_VERSION = "SELECT version FROM avatars WHERE id = $1 AND owner_id = $2"
