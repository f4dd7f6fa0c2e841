"""Reading: the front page, articles, tag pages, the health check, and discovery (feeds, search,
sitemap, archive, structured data), whose modules add their routes to the same blueprint."""

from . import discovery, feeds, search, structured_data  # noqa: F401  (they register routes)
from .views import bp

__all__ = ["bp"]
