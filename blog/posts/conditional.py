"""Conditional GET for generated documents: ETag and Last-Modified, answered with 304."""

import hashlib
from datetime import datetime

from flask import Response, request


def conditional_response(
    body: str | bytes, mimetype: str, last_modified: datetime | None, max_age: int = 300
) -> Response:
    """A cacheable response whose ETag is the body's hash; 304 when the client has it already.

    The ETag covers every change (a post leaving a feed moves no timestamp), Last-Modified
    serves clients that only send If-Modified-Since.
    """
    data = body.encode("utf-8") if isinstance(body, str) else body
    response = Response(data, mimetype=mimetype)
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    if last_modified is not None:
        response.last_modified = last_modified.replace(microsecond=0)
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response.make_conditional(request)
