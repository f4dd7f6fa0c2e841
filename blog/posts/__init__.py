"""Reading: the front page, articles, tag pages and the health check."""

from .views import bp

__all__ = ["bp"]
