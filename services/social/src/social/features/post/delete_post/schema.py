"""No wire types: ``DELETE /v1/posts/{post_id}`` takes no body and answers 204 or a problem."""
