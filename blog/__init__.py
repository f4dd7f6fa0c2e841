"""The newsroom blog: application factory."""

import os
from pathlib import Path
from typing import Any

from flask import Flask

from .commands import CommandsOnFirstUse
from .secret import load_or_create_secret_key
from .session_cookie import SessionCookie
from .tracked_config import BlogFlask

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then BLOG_* variables (or a test dict)."""
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = BlogFlask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    # Commands load when the command line asks: gunicorn workers never import them.
    app.cli = CommandsOnFirstUse(app.name, lambda: _register_commands(app))
    app.config.from_object("blog.config")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("BLOG")
    else:
        app.config.from_mapping(test_config)

    app.session_interface = SessionCookie()
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)

    _init_extensions(app)
    _register_blueprints(app)
    return app


def _init_extensions(app: Flask) -> None:
    from . import auth, database, plain_sql  # noqa: F401  (user loader, SQLite settings)
    from .extensions import cache, csrf, db, login_manager, migrate
    from .page_cache import include_object
    from .posts import search_schema

    db.init_app(app)
    database.init_app(app)
    csrf.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=MIGRATIONS_DIR,
        render_as_batch=True,
        include_name=search_schema.include_name,  # keep autogenerate off the search index
        include_object=include_object,  # and off the cache version table
    )
    login_manager.init_app(app)
    cache.init_app(app)
    plain_sql.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from . import errors, security, templating
    from .admin import bp as admin_bp
    from .posts import bp as posts_bp
    from .replies import bp as replies_bp

    templating.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    app.register_blueprint(posts_bp)
    app.register_blueprint(replies_bp)
    app.register_blueprint(admin_bp)


def _register_commands(app: Flask) -> None:
    from . import cli
    from .admin import cli as admin_cli

    cli.init_app(app)
    admin_cli.init_app(app)
