"""No wire types: ``DELETE /v1/comments/{comment_id}`` takes no body and answers 204 or a problem."""
