"""Loading the signed-in staff member for Flask-Login."""

from flask import current_app, request, session
from flask_login import current_user

from .extensions import db, login_manager
from .models import User


@login_manager.user_loader
def load_user(user_key: str) -> User | None:
    """Find the account named in the session; a stale session version signs the user out."""
    user_id, _, version = user_key.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def staff_signed_in() -> bool:
    """current_user.is_authenticated, answered without Flask-Login for the many readers whose
    session names no account and who carry no remember-me cookie (no user to load then, and
    Flask-Login would otherwise mark their session on every view)."""
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if "_user_id" not in session and cookie not in request.cookies:
        return False
    return current_user.is_authenticated
