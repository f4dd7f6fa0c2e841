"""`app.cli` with the site's commands registered the first time the command line looks.

Web workers never run a command, so they skip importing the command modules and what only
those use (demo content, the export writer). `flask --help`, `flask init-db` and the tests'
CLI runner all look commands up by name or list them, which loads them first.
"""

from collections.abc import Callable

import click
from flask.cli import AppGroup


class CommandsOnFirstUse(AppGroup):
    """An app's command group whose own commands `register` adds when one is first needed."""

    def __init__(self, name: str, register: Callable[[], None]) -> None:
        super().__init__(name)
        self._register: Callable[[], None] | None = register

    def _ensure_registered(self) -> None:
        register, self._register = self._register, None
        if register is not None:
            register()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._ensure_registered()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._ensure_registered()
        return super().list_commands(ctx)
