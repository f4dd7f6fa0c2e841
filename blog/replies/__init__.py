"""Reader replies: the form, its rules, own-reply editing."""

from .views import bp

__all__ = ["bp"]
