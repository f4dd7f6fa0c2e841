"""An app config that counts its changes, so values derived from it are recomputed only then.

The page cache keys every page by a digest of the settings (a setting changed at run time must
never meet a page cached before it). Hashing sixty settings on every view cost a tenth of a
cached article page; with a change counter the digest is recomputed only after a change.
Every way of changing a Flask config goes through the methods below.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Config, Flask

from .url_rules import LazilyBuiltRule


class TrackedConfig(Config):
    """flask.Config whose `generation` grows with every assignment, deletion or update."""

    generation = 0

    def _changed(self) -> None:
        self.generation += 1

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._changed()
        return super().setdefault(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self._changed()
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        self._changed()
        return super().popitem()

    def clear(self) -> None:
        super().clear()
        self._changed()


T = TypeVar("T")


def derived(app: Flask, name: str, compute: Callable[[Flask], T]) -> T:
    """compute(app), kept in app.extensions[name] until the config next changes (always
    recomputed for a plain flask.Config, which does not count its changes)."""
    generation = getattr(app.config, "generation", None)
    known = app.extensions.get(name)
    if known is None or generation is None or known[0] != generation:
        known = app.extensions[name] = (generation, compute(app))
    return known[1]


class BlogFlask(Flask):
    """Flask with a TrackedConfig, and URL rules that compile their builders on first use."""

    config_class = TrackedConfig
    url_rule_class = LazilyBuiltRule
