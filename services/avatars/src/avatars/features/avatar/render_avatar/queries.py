SELECT_AVATAR_RENDER = "SELECT svg, svg_etag AS etag FROM avatar_snapshots WHERE id = $1"
