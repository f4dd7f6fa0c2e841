"""Flask's signed-cookie session, with its signing serializer made once per key.

Flask builds a new serializer to open and again to save the session on every request; most
readers get a session (it holds their CSRF token), so that was two constructions per page
view, each also checking its JSON serializer by encoding a sample. Same cookie, same format,
same key rotation (SECRET_KEY_FALLBACKS).
"""

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionCookie(SecureCookieSessionInterface):
    """SecureCookieSessionInterface reusing its serializer while the keys stay the same."""

    def __init__(self) -> None:
        self._made: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._made is None or self._made[0] != keys:
            self._made = (keys, super().get_signing_serializer(app))
        return self._made[1]
