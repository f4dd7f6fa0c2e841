"""Flask-Migrate bound on first use, so web workers never import Alembic.

Importing Alembic costs about half a second and 11 MB in every gunicorn worker, yet only
`flask init-db`, `flask db …` and the tests ever migrate. The app gets a stand-in that binds the
real Flask-Migrate the moment anything reads it, and a `db` command group that loads
Flask-Migrate's commands when the command line asks for them.
"""

from typing import Any

import click
from flask import Flask


class _MigrateOnFirstUse:
    """Stands in app.extensions["migrate"] until something needs the real configuration."""

    def __init__(self, app: Flask, db: Any, options: dict[str, Any]) -> None:
        self._app, self._db, self._options = app, db, options

    def __getattr__(self, name: str) -> Any:
        from flask_migrate import Migrate

        Migrate().init_app(self._app, self._db, **self._options)  # replaces this stand-in
        return getattr(self._app.extensions["migrate"], name)


class _DatabaseCommands(click.Group):
    """`flask db …`: hands over to Flask-Migrate's own group when the command line runs it."""

    @staticmethod
    def _real() -> click.Group:
        from flask_migrate.cli import db

        return db

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # The context names the real group, so its options and callback (which sets
        # g.directory for every subcommand) run exactly as if it had been registered.
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._real().get_command(ctx, cmd_name)


class LazyMigrate:
    """Drop-in for `flask_migrate.Migrate()` with the same init_app arguments."""

    def init_app(self, app: Flask, db: Any = None, **options: Any) -> None:
        app.extensions["migrate"] = _MigrateOnFirstUse(app, db, options)
        app.cli.add_command(_DatabaseCommands("db", help="Perform database migrations."))
