"""Signed cookies that remember a reader's own replies and, if asked, their details."""

import re

from flask import Response, current_app, request
from itsdangerous import BadSignature
from werkzeug.http import dump_cookie

from ..signing import KeptURLSafeSerializer
from ..tracked_config import derived

OWNER_COOKIE = "my_replies"
AUTHOR_COOKIE = "reply_author"
OWNER_MAX_AGE = 30 * 24 * 3600
AUTHOR_MAX_AGE = 365 * 24 * 3600
MAX_REMEMBERED_REPLIES = 50


def _serializer(salt: str) -> KeptURLSafeSerializer:
    """One serializer per app and salt, made again if the key changes (not on every reply)."""
    return derived(
        current_app._get_current_object(),
        f"reply_cookie:{salt}",
        lambda app: KeptURLSafeSerializer(app.config["SECRET_KEY"], salt=salt),
    )


def own_reply_ids() -> set[int]:
    """The replies this browser sent (read from the signed cookie)."""
    raw = request.cookies.get(OWNER_COOKIE)
    if not raw:
        return set()
    try:
        ids = _serializer("own-replies").loads(raw)
    except BadSignature:
        return set()
    return {i for i in ids if isinstance(i, int)} if isinstance(ids, list) else set()


def remember_own_reply(response: Response, reply_id: int) -> None:
    """Add a reply to this browser's signed list, so its author sees it while pending."""
    ids = [i for i in sorted(own_reply_ids()) if i != reply_id][-(MAX_REMEMBERED_REPLIES - 1) :]
    ids.append(reply_id)
    _set_cookie(response, OWNER_COOKIE, _serializer("own-replies").dumps(ids), OWNER_MAX_AGE)


# What a signed value is made of (URL-safe base64 and dots): never quoted in a cookie.
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.-]*")


def _set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    """An HttpOnly, SameSite=Lax cookie that lasts `max_age` seconds.

    Max-Age alone says how long (every browser in use reads it), not also an Expires date.
    Werkzeug writes the attributes once per config and lifetime; each reply POST only puts
    its signed value in front of them, which cost a tenth of what building the whole header
    did. A value that would need quoting goes through Werkzeug entirely.
    """
    secure = current_app.config.get("SESSION_COOKIE_SECURE", False)
    if not _PLAIN_VALUE.fullmatch(value):
        response.headers.add("Set-Cookie", _cookie_header(name, value, max_age, secure))
        return
    attributes = derived(
        current_app._get_current_object(),
        f"cookie_attributes:{max_age}",
        lambda app: _cookie_header("", "", max_age, secure).removeprefix("="),
    )
    response.headers.add("Set-Cookie", f"{name}={value}{attributes}")


def _cookie_header(name: str, value: str, max_age: int, secure: bool) -> str:
    return dump_cookie(
        name, value, max_age=max_age, httponly=True, samesite="Lax", secure=secure,
        sync_expires=False,
    )  # fmt: skip


def remembered_author() -> dict[str, str]:
    """Name, email and website saved by the 'remember me' box, or an empty dict."""
    raw = request.cookies.get(AUTHOR_COOKIE)
    if not raw:
        return {}
    try:
        data = _serializer("reply-author").loads(raw)
    except BadSignature:
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        k: v for k, v in data.items() if k in ("name", "email", "website") and isinstance(v, str)
    }


def set_remembered_author(response: Response, name: str, email: str, website: str) -> None:
    """Keep the reader's details for a year, at their request."""
    payload = {"name": name, "email": email, "website": website}
    _set_cookie(response, AUTHOR_COOKIE, _serializer("reply-author").dumps(payload), AUTHOR_MAX_AGE)


def forget_author(response: Response) -> None:
    """Clear saved details when the reader unticks the box (if any were saved)."""
    if AUTHOR_COOKIE not in request.cookies:
        return
    response.delete_cookie(
        AUTHOR_COOKIE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
