"""Flask's signed-cookie session, made cheaper to open and save; the same cookie.

Most readers get a session (it holds their CSRF token), so its costs are on nearly every page:
- Flask builds a new serializer to open and again to save the session; here it is made once
  per key, with kept signers (signing.py).
- Flask signs with a lazily imported SHA-1 wrapped in a Python function, which sends HMAC down
  its slow pure-Python path; hashlib.sha1 itself gives the same signature on OpenSSL's path.
- A session of plain strings and numbers (a reader's CSRF token) is written as JSON directly;
  Flask's tagged JSON, which those values pass through unchanged, still handles the rest.
Same format, same key rotation (SECRET_KEY_FALLBACKS): cookies made either way read either way.
"""

import hashlib
import json
from typing import Any

from flask import Flask
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface

from .signing import KeptURLSafeTimedSerializer

_PLAIN = (str, int, bool, type(None))


class _SessionJSON(TaggedJSONSerializer):
    """Flask's tagged JSON, skipping the tagging walk for a dict of plain values."""

    def dumps(self, value: Any) -> str:
        if isinstance(value, dict) and all(
            type(k) is str and not k.startswith(" ") and type(v) in _PLAIN for k, v in value.items()
        ):  # nothing to tag: exactly the JSON Flask writes (compact, keys sorted)
            return json.dumps(value, separators=(",", ":"), sort_keys=True)
        return super().dumps(value)


class SessionCookie(SecureCookieSessionInterface):
    """SecureCookieSessionInterface with the savings above."""

    digest_method = staticmethod(hashlib.sha1)
    serializer = _SessionJSON()

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
