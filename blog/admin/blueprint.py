"""The desk's blueprint: every page under /admin needs a signed-in staff member."""

from flask import Blueprint, request
from flask_login import current_user

from ..extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Pages anyone may open: the sign-in form itself.
PUBLIC_ENDPOINTS = {"admin.login"}


@bp.before_request
def require_staff():
    """Send anyone not signed in to the sign-in page (with a `next` back here)."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


@bp.after_request
def no_store(response):
    """Desk pages hold private data (reader emails): keep them out of shared caches."""
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
    return response
