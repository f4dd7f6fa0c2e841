"""The newsroom desk under /admin: sign-in, dashboard, editor, moderation, imports, staff."""

from . import auth_views, dashboard, editor, imports, moderation, staff  # noqa: F401 (routes)
from .blueprint import bp

__all__ = ["bp"]
