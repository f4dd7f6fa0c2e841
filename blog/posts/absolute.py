"""Absolute addresses and permanent ids for machine readers (feeds, sitemap, JSON-LD).

Staff set SITE_URL so that every feed id and canonical link names the public address even when
the app sits behind a proxy; without it the address the request came in on is used.
"""

import re
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, request, url_for

_EMAIL = re.compile(r"[^\s@<>\"']+@[^\s@<>\"']+\.[^\s@<>\"']+")


def base_url() -> str:
    """The site's origin without a trailing slash."""
    configured = current_app.config.get("SITE_URL")
    return (configured or request.url_root).rstrip("/")


def absolute_url(endpoint: str, **values) -> str:
    """An absolute URL for an endpoint, built on the configured base URL."""
    return base_url() + url_for(endpoint, **values)


def absolute_path(path: str) -> str:
    """An absolute URL for a path or URL (an absolute URL is returned unchanged)."""
    if path.startswith(("http://", "https://")):
        return path
    return base_url() + "/" + path.lstrip("/")


def logo_url() -> str | None:
    """The configured logo as an absolute URL, or None."""
    logo = current_app.config.get("SITE_LOGO")
    return absolute_path(logo) if logo else None


def tag_uri(kind: str, number: int, minted: datetime) -> str:
    """A permanent RFC 4151 id: host, the day the thing was created, its kind and number.

    Neither the slug nor the title takes part, so editing an article never changes its id.
    """
    host = urlsplit(base_url()).hostname or "localhost"
    return f"tag:{host},{minted:%Y-%m-%d}:{kind}-{number}"


def scrub_emails(text: str) -> str:
    """Hide anything shaped like an email address (a name field typed as one, say)."""
    return _EMAIL.sub("[address hidden]", text or "")
