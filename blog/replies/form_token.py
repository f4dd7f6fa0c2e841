"""A signed stamp in each rendered form: when it was rendered, and a nonce naming that render.

The time catches bots that answer faster than a person can type and forms left open too long;
the nonce lets a double-click find the reply the first click created.
"""

import secrets
import time
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer


@dataclass(frozen=True)
class Stamp:
    nonce: str
    rendered_at: float


def _serializer() -> URLSafeSerializer:
    """One serializer per app and secret key: building it on every form cost a good share of
    a cached article page."""
    secret = current_app.config["SECRET_KEY"]
    made = current_app.extensions.get("reply_form_stamp")
    if made is None or made[0] != secret:
        made = (secret, URLSafeSerializer(secret, salt="reply-form-stamp"))
        current_app.extensions["reply_form_stamp"] = made
    return made[1]


def issue(now: float | None = None) -> str:
    """A fresh stamp for a form about to be rendered."""
    moment = time.time() if now is None else now
    return _serializer().dumps([secrets.token_urlsafe(16), round(moment, 3)])


def read(token: str | None) -> Stamp | None:
    """The stamp in a submitted form, or None when it is missing or forged."""
    if not token:
        return None
    try:
        nonce, rendered_at = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(nonce, str) or not isinstance(rendered_at, int | float):
        return None
    return Stamp(nonce=nonce, rendered_at=float(rendered_at))
