"""Flask-Caching bound on first use, so a worker answers its first request sooner.

Importing Flask-Caching (with the cachelib backends it loads) was about 7 ms of every gunicorn
worker's start, spent before the worker could answer anything, though the health probe, the
desk and the command line never read the page cache. The app gets this stand-in instead: the
first `get` or `set` in an app imports Flask-Caching and binds a real `Cache` to that app with
the app's CACHE_* settings, exactly as `Cache.init_app` at start-up did.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app


class LazyCache:
    """Drop-in for `flask_caching.Cache(**options)`, for what the site uses: get and set."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._real: Any = None

    def init_app(self, app: Flask) -> None:
        """Nothing to do yet: the real Cache binds to `app` on its first use there."""

    def _backend(self) -> Any:
        """The app's cache backend (what `Cache.get` and `Cache.set` hand every call to)."""
        app = current_app._get_current_object()
        real = self._real
        backend = app.extensions.get("cache", {}).get(real) if real is not None else None
        if backend is None:
            if real is None:
                from flask_caching import Cache

                real = self._real = Cache(**self._options)
            real.init_app(app)
            backend = app.extensions["cache"][real]
        return backend

    def get(self, key: str) -> Any:
        return self._backend().get(key)

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        return self._backend().set(key, value, timeout=timeout)
