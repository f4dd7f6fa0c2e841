"""Desk commands: set-password, import-wxr, export (registered by the app factory)."""

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ..cli import _ask_password
from ..extensions import db
from ..models import AuditEntry
from .auth_views import find_user
from .export import write_export


@click.command("set-password")
@click.argument("name")
@with_appcontext
def set_password_command(name: str) -> None:
    """Set a staff member's password (asked twice); their signed-in sessions end."""
    user = find_user(name)
    if user is None:
        raise click.ClickException(f"there is no user named {name!r}")
    password = _ask_password()
    if len(password) < 8:
        raise click.ClickException("a password needs at least 8 characters")
    user.set_password(password)
    db.session.add(AuditEntry(action="password-set", target=f"user:{user.id}", detail="CLI"))
    db.session.commit()
    click.echo(f"Password changed for {user.username}; their other sessions are signed out.")


@click.command("import-wxr")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_wxr_command(file: Path) -> None:
    """Import posts and approved comments from a WordPress export; safe to run twice."""
    from ..wxr import parse_wxr  # loaded here: serving pages never needs the XML parser
    from .wxr_import import import_wxr

    try:
        export = parse_wxr(file)
    except ValueError as error:
        raise click.ClickException(f"cannot import {file}: {error}") from error
    config = current_app.config
    result = import_wxr(
        export,
        timezone=config.get("TIMEZONE") or "UTC",
        secret_key=config["SECRET_KEY"],
        max_depth=int(config["REPLY_MAX_DEPTH"]),
    )
    db.session.add(
        AuditEntry(
            action="import-wxr",
            target=file.name[:80],
            detail=f"{result.posts_created} posts, {result.replies_created} replies",
        )
    )
    db.session.commit()
    click.echo(
        f"Imported {result.posts_created} posts ({result.posts_found} already here) and "
        f"{result.replies_created} replies ({result.replies_found} already here; "
        f"{result.comments_skipped} unapproved comments, pingbacks or trackbacks skipped)."
    )


@click.command("export")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-emails", is_flag=True, help="Leave readers' email addresses out.")
@with_appcontext
def export_command(dest: Path, no_emails: bool) -> None:
    """Write posts, replies and tags as JSON to DEST."""
    data = write_export(dest, include_emails=not no_emails)
    click.echo(
        f"Exported {len(data['posts'])} posts, {len(data['replies'])} replies and "
        f"{len(data['tags'])} tags to {dest}{' without emails' if no_emails else ''}."
    )


def init_app(app: Flask) -> None:
    """Register the desk's commands with `flask`."""
    for command in (set_password_command, import_wxr_command, export_command):
        app.cli.add_command(command)
