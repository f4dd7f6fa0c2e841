"""Roles, the audit log and safe redirects for the desk."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import abort
from flask_login import current_user

from .. import clock
from ..extensions import db
from ..models import AuditEntry


def admin_required(view: Callable) -> Callable:
    """Only the admin role may use this view (user accounts, audit log, settings)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403, "Only an admin can do this.")
        return view(*args, **kwargs)

    return wrapper


def record(action: str, target: str = "", detail: str = "") -> AuditEntry:
    """Write who did what to which item, and when (the caller commits)."""
    entry = AuditEntry(
        user_id=current_user.id if current_user.is_authenticated else None,
        action=action,
        target=target[:80],
        detail=detail,
        created_at=clock.now(),
    )
    db.session.add(entry)
    return entry


def safe_next(target: str | None, default: str) -> str:
    """A same-site path to go to after sign-in; anything else gives the default."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
