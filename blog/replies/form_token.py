"""A signed stamp in each rendered form: when it was rendered, and a nonce naming that render.

The time catches bots that answer faster than a person can type and forms left open too long;
the nonce lets a double-click find the reply the first click created. A stamp is
`nonce:time.signature`, signed with HMAC (itsdangerous' Signer): a JSON-serialised stamp cost a
good share of a cached article page. Stamps in the older JSON form still read, so forms open
while a new release starts keep working.
"""

import math
import secrets
import time
from dataclasses import dataclass

from flask import Flask, current_app
from itsdangerous import BadSignature

from ..signing import KeptSigner, KeptURLSafeSerializer
from ..tracked_config import derived


@dataclass(frozen=True)
class Stamp:
    nonce: str
    rendered_at: float


SALT = "reply-form-stamp"


def _signers() -> tuple[KeptSigner, KeptURLSafeSerializer]:
    """One signer (and one reader of older stamps) per app, made again if the key changes."""

    def make(app: Flask) -> tuple[KeptSigner, KeptURLSafeSerializer]:
        secret = app.config["SECRET_KEY"]
        return KeptSigner(secret, salt=SALT), KeptURLSafeSerializer(secret, salt=SALT)

    return derived(current_app._get_current_object(), "reply_form_stamp", make)


def issue(now: float | None = None) -> str:
    """A fresh stamp for a form about to be rendered."""
    moment = time.time() if now is None else now
    # Whole milliseconds, rounded down: rounded to nearest, a form sent back within half a
    # millisecond read as sent before it was shown (a negative age, which the spam rule's
    # "too fast" test caught even with REPLY_MIN_SECONDS at 0).
    milliseconds = math.floor(moment * 1000)
    signer, _ = _signers()
    return signer.sign(f"{secrets.token_urlsafe(16)}:{milliseconds / 1000:.3f}").decode()


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
