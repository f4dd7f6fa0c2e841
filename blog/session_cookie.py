"""Flask's signed-cookie session, with its signing serializer made once per key.

Flask builds a new serializer to open and again to save the session on every request; most
readers get a session (it holds their CSRF token), so that was two constructions per page
view, each also checking its JSON serializer by encoding a sample. Same cookie, same format,
same key rotation (SECRET_KEY_FALLBACKS); the serializer also keeps its signers (signing.py).
"""

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from .signing import KeptURLSafeTimedSerializer


class SessionCookie(SecureCookieSessionInterface):
    """SecureCookieSessionInterface reusing its serializer while the keys stay the same."""

    def __init__(self) -> None:
        self._made: tuple[tuple, KeptURLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> KeptURLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._made is None or self._made[0] != keys:
            self._made = (keys, self._make_serializer(*keys))
        return self._made[1]

    def _make_serializer(self, key, fallbacks: tuple) -> KeptURLSafeTimedSerializer | None:
        """What Flask's get_signing_serializer makes, with kept signers."""
        if not key:
            return None
        return KeptURLSafeTimedSerializer(
            [*fallbacks, key],  # itsdangerous takes the current key last
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )
