SELECT_AVATAR_RENDER = "SELECT svg, svg_etag FROM avatar_snapshots WHERE id = $1"
