"""Response headers, cookie flags and proxy trust: the browser-facing half of security.

Every response says what it may load (only this site, no inline script), that it must not be
framed, sniffed or leak full URLs to other sites. Behind a reverse proxy the deployer says how
many proxies to trust (`TRUSTED_PROXIES`) and which host names are ours (`TRUSTED_HOSTS`).
"""

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, UnicodeConverter

from .tracked_config import derived

# The largest key every supported database holds: INTEGER is 64-bit in SQLite but 32-bit in
# PostgreSQL, where a larger number in a query fails (a 500) instead of finding nothing.
MAX_DATABASE_INTEGER = 2**31 - 1

# Only this origin; no inline script or style, no plugins, no framing, forms post only here.
DEFAULT_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Powerful browser features this site never uses, turned off for it and anything it embeds.
DEFAULT_PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class DatabaseInteger(IntegerConverter):
    """`<int:…>` in every route, bounded to what a database key can hold.

    Without a bound, /replies/99999999999999999999/edit reaches the database driver and fails
    with an overflow (a 500); past the bound the route simply does not match (404).
    """

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_DATABASE_INTEGER, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class TextWithoutNul(UnicodeConverter):
    """`<slug>` and `<string:…>` in every route, never matching a NUL byte: no address here has
    one, and PostgreSQL refuses NUL in text (a 500) where the page simply does not exist (404).
    """

    def __init__(self, map, minlength=1, maxlength=None, length=None):
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]")


def security_headers(app: Flask) -> dict[str, str]:
    """The headers every response carries, from configuration with safe defaults."""
    headers = {
        "Content-Security-Policy": app.config.get("CONTENT_SECURITY_POLICY") or DEFAULT_CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": app.config.get("PERMISSIONS_POLICY") or DEFAULT_PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    hsts = int(app.config.get("HSTS_SECONDS") or 0)
    if hsts > 0:
        headers["Strict-Transport-Security"] = f"max-age={hsts}"
    return headers


def _trust_proxies(app: Flask) -> None:
    """Read client address, scheme and host from N trusted proxies' X-Forwarded-* headers."""
    count = int(app.config.get("TRUSTED_PROXIES") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count, x_prefix=count
        )


def init_app(app: Flask) -> None:
    """Add the headers to every response, bound integer URL parts, configure proxy trust."""
    app.url_map.converters["int"] = DatabaseInteger  # before any blueprint adds its routes
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextWithoutNul
    _trust_proxies(app)
    # Flask-Login's "remember me" cookie, should the desk ever use it: same rules as the session.
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_SECURE", bool(app.config.get("SESSION_COOKIE_SECURE")))

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name, _ in headers}
        for lowered, name, value in _headers_for(app):
            if lowered not in present:  # a view's own choice stands
                headers.add(name, value)
        return response


def _headers_for(app: Flask) -> list[tuple[str, str, str]]:
    """(lower-cased name, name, value) of security_headers(app), built again only after the
    config changed."""
    return derived(
        app,
        "security_headers",
        lambda app: [(name.lower(), name, value) for name, value in security_headers(app).items()],
    )
