"""Flask's signed-cookie session, made cheaper to open and save; the same cookie.

Most readers get a session (it holds their CSRF token), so its costs are on nearly every page:
- Flask builds a new serializer to open and again to save the session; here it is made once
  per key, with kept signers (signing.py).
- Flask signs with a lazily imported SHA-1 wrapped in a Python function, which sends HMAC down
  its slow pure-Python path; hashlib.sha1 itself gives the same signature on OpenSSL's path.
- A session of plain strings and numbers (a reader's CSRF token) is written as JSON directly;
  Flask's tagged JSON, which those values pass through unchanged, still handles the rest.
- Saving works out the cookie's attributes once per configuration, not seven lookups a view,
  and a session left unchanged only adds `Vary: Cookie`, as Flask's save does then.
Same format, same key rotation (SECRET_KEY_FALLBACKS): cookies made either way read either way.
"""

import hashlib
import json
from typing import Any

from flask import Flask, Response
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from .signing import KeptURLSafeTimedSerializer
from .tracked_config import derived

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

    def _cookie_options(self, app: Flask) -> dict[str, Any]:
        return {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "partitioned": self.get_cookie_partitioned(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": self.get_cookie_httponly(app),
        }

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's save_session, with the cookie's attributes from the config worked out once."""
        if not session:  # emptied (the cookie is deleted) or never used: Flask's own way
            super().save_session(app, session, response)
            return
        if not self.should_set_cookie(app, session):
            if session.accessed:
                _vary_on_cookie(response)
            return
        response.set_cookie(
            self.get_cookie_name(app),
            self.get_signing_serializer(app).dumps(dict(session)),  # type: ignore[union-attr]
            expires=self.get_expiration_time(app, session),
            **derived(app, "session_cookie_options", self._cookie_options),
        )
        _vary_on_cookie(response)


def _vary_on_cookie(response: Response) -> None:
    """response.vary.add("Cookie"), without parsing a Vary header that is not there yet."""
    if "Vary" in response.headers:
        response.vary.add("Cookie")
    else:
        response.headers["Vary"] = "Cookie"
