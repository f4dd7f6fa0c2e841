"""Loading the signed-in staff member for Flask-Login."""

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
