"""itsdangerous serializers that make their signers, and derive their keys, once.

A stock serializer builds a new signer for every `dumps` and `loads`, and that signer derives
its key (one more HMAC) every time, on Python's slow HMAC path. An anonymous reader's article
page signs three values (the session, the CSRF token, the form stamp) and a reply POST checks
or signs four, so this was a visible share of both. The tokens are the ones the stock classes
make and read; only short payloads skip the zlib attempt, which never makes them shorter (stock
readers take both forms).
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

from itsdangerous import Signer, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes

# JSON shorter than this is never compressed (a CSRF token, a list of reply ids).
COMPRESS_FROM = 200


class _KeptKeys:
    """Signer mixin: each key is derived once per signer (itsdangerous passes bytes or None)."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        kept: dict = self.__dict__.setdefault("_derived", {})
        key = kept.get(secret_key)
        if key is None:
            key = kept[secret_key] = super().derive_key(secret_key)  # type: ignore[misc]
        return key


class KeptSigner(_KeptKeys, Signer):
    """Signer deriving its keys once."""

    # itsdangerous' default wraps hashlib.sha1 in a Python function, which sends HMAC down
    # its slow pure-Python path; the function itself gives the same digests on OpenSSL's.
    default_digest_method = staticmethod(hashlib.sha1)


class KeptTimestampSigner(_KeptKeys, TimestampSigner):
    """TimestampSigner deriving its keys once (and hashing as KeptSigner does)."""

    default_digest_method = staticmethod(hashlib.sha1)


class _KeptSigners:
    """Serializer mixin: one signer per salt, reused (a signer keeps no per-call state)."""

    def make_signer(self, salt: str | bytes | None = None) -> Any:
        kept: dict = self.__dict__.setdefault("_signers", {})
        signer = kept.get(salt)
        if signer is None:
            signer = kept[salt] = super().make_signer(salt)  # type: ignore[misc]
        return signer

    def dump_payload(self, obj: Any) -> bytes:
        data = want_bytes(self.serializer.dumps(obj, **self.serializer_kwargs))  # type: ignore[attr-defined]
        if len(data) >= COMPRESS_FROM:
            compressed = zlib.compress(data)
            if len(compressed) < len(data) - 1:
                return b"." + base64_encode(compressed)
        return base64_encode(data)


class KeptURLSafeSerializer(_KeptSigners, URLSafeSerializer):
    """URLSafeSerializer with kept signers."""

    default_signer = KeptSigner


class KeptURLSafeTimedSerializer(_KeptSigners, URLSafeTimedSerializer):
    """URLSafeTimedSerializer with kept signers."""

    default_signer = KeptTimestampSigner
