"""The default page cache backend: Flask-Caching's per-process SimpleCache, unpickled.

SimpleCache pickles every value it stores and unpickles it on every hit, so a cached article
page (about 40 KB of HTML) was copied through pickle on every view: a twentieth of the page's
time. Every value the page cache stores is immutable (strings, tuples of strings, numbers
and datetimes), so this cache keeps the stored object itself. Several processes or machines
share RedisCache instead, which must serialise.
"""

from typing import Any

from flask_caching.backends.simplecache import SimpleCache


class _AsIs:
    """A serializer that stores values as they are."""

    @staticmethod
    def dumps(value: Any) -> Any:
        return value

    @staticmethod
    def loads(value: Any) -> Any:
        return value


class LocalCache(SimpleCache):
    """SimpleCache storing objects rather than pickles; only for immutable values."""

    serializer = _AsIs()
