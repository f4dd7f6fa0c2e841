"""The newsroom desk under /admin: sign-in, dashboard, editor, moderation, imports, staff.

Readers never open the desk, yet every web worker serves them: so the desk's routes are
declared here, each naming the module that holds its view, and a module (with the forms,
editor and importers it brings) loads on the first request that needs it. That keeps about
0.3 MB out of every worker that never sees a desk page (Flask's "lazily loading views").
"""

from collections.abc import Callable
from importlib import import_module
from typing import Any

from .blueprint import bp

GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")

# (rule, view function = endpoint name, methods, module under blog.admin)
ROUTES = (
    ("/login", "login", BOTH, "auth_views"),
    ("/logout", "logout", POST, "auth_views"),
    ("/account", "account", BOTH, "auth_views"),
    ("/", "index", GET, "dashboard"),
    ("/posts", "posts", GET, "editor"),
    ("/posts/new", "new_post", BOTH, "editor"),
    ("/posts/<int:post_id>/edit", "edit_post", BOTH, "editor"),
    ("/posts/<int:post_id>/notes", "add_note", POST, "editor"),
    ("/revisions/<int:revision_id>", "show_revision", GET, "editor"),
    ("/revisions/<int:revision_id>/restore", "restore_revision", POST, "editor"),
    ("/import", "import_article", BOTH, "imports"),
    ("/replies", "replies", GET, "moderation"),
    ("/replies/<int:reply_id>/moderate", "moderate", POST, "moderation"),
    ("/replies/bulk", "bulk_moderate", POST, "moderation"),
    ("/replies/<int:reply_id>/answer", "answer", POST, "moderation"),
    ("/users", "users", BOTH, "staff"),
    ("/users/<int:user_id>/role", "change_role", POST, "staff"),
    ("/users/<int:user_id>/lock", "lock_account", POST, "staff"),
    ("/audit", "audit_log", GET, "staff"),
    ("/settings/words", "word_lists", BOTH, "staff"),
)


class LazyView:
    """Stands in for a desk view: imports its module on the first call, then just calls it."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.__name__ = module, name
        self._view: Callable[..., Any] | None = None

    @property
    def view(self) -> Callable[..., Any]:
        """The real view function (importing its module the first time)."""
        if self._view is None:
            module = import_module(f".{self.module}", __package__)
            self._view = getattr(module, self.__name__)
        return self._view

    def __call__(self, **values: Any) -> Any:
        return self.view(**values)


for _rule, _name, _methods, _module in ROUTES:
    bp.add_url_rule(_rule, _name, LazyView(_module, _name), methods=list(_methods))

__all__ = ["bp"]
