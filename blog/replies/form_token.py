"""A signed stamp in each rendered form: when it was rendered, and a nonce naming that render.

The time catches bots that answer faster than a person can type and forms left open too long;
the nonce lets a double-click find the reply the first click created. A stamp is
`nonce:time.signature`, signed with HMAC (itsdangerous' Signer): a JSON-serialised stamp cost a
good share of a cached article page. Stamps in the older JSON form still read, so forms open
while a new release starts keep working.
"""

import secrets
import time
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, Signer, URLSafeSerializer


@dataclass(frozen=True)
class Stamp:
    nonce: str
    rendered_at: float


SALT = "reply-form-stamp"


def _signers() -> tuple[Signer, URLSafeSerializer]:
    """One signer (and one reader of older stamps) per app and secret key."""
    secret = current_app.config["SECRET_KEY"]
    made = current_app.extensions.get("reply_form_stamp")
    if made is None or made[0] != secret:
        made = (secret, Signer(secret, salt=SALT), URLSafeSerializer(secret, salt=SALT))
        current_app.extensions["reply_form_stamp"] = made
    return made[1], made[2]


def issue(now: float | None = None) -> str:
    """A fresh stamp for a form about to be rendered."""
    moment = time.time() if now is None else now
    signer, _ = _signers()
    return signer.sign(f"{secrets.token_urlsafe(16)}:{moment:.3f}").decode()


def read(token: str | None) -> Stamp | None:
    """The stamp in a submitted form, or None when it is missing or forged."""
    if not token:
        return None
    signer, older = _signers()
    try:
        nonce, _, rendered_at = signer.unsign(token).decode().partition(":")
        return Stamp(nonce=nonce, rendered_at=float(rendered_at)) if nonce else None
    except (BadSignature, ValueError, UnicodeDecodeError):
        pass
    try:
        nonce, rendered_at = older.loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(nonce, str) or not isinstance(rendered_at, int | float):
        return None
    return Stamp(nonce=nonce, rendered_at=float(rendered_at))
