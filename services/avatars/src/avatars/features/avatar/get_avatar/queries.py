from avatars.avatars import AVATAR_COLUMNS

# Composed at import from the shared column lists, never from input (hence the S608 waivers).

SELECT_AVATAR = f"SELECT {AVATAR_COLUMNS} FROM avatars WHERE id = $1"  # noqa: S608
