"""Command-line tools: schema, demo content, staff accounts, imports, privacy, backups."""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from . import demo
from .articles import create_post
from .database import backup_database, upgrade_schema
from .extensions import db
from .models import Post, Reply, User
from .wire import parse_wire_article


def _parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 date and time") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ask_password() -> str:
    """Twice at a terminal; two lines from standard input otherwise."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    lines = sys.stdin.read().splitlines()
    if not lines or not lines[0]:
        raise click.ClickException("no password on standard input")
    if len(lines) > 1 and lines[1] and lines[1] != lines[0]:
        raise click.ClickException("the two passwords differ")
    return lines[0]


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the schema (safe to repeat; never drops data)."""
    upgrade_schema(current_app._get_current_object())
    click.echo("Database is up to date.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Add the demo articles and replies when there are no posts yet."""
    if db.session.scalar(select(func.count(Post.id))):
        click.echo("There are posts already; demo content not added.")
        return
    count = demo.add_demo_content()
    click.echo(f"Added {count} demo posts.")


@click.command("create-user")
@with_appcontext
@click.argument("name")
@click.option("--admin", is_flag=True, help="Give the account the admin role.")
def create_user_command(name: str, admin: bool) -> None:
    """Create a staff account; the password is asked twice."""
    if db.session.scalar(select(User).where(User.username == name)):
        raise click.ClickException(f"a user named {name!r} exists already")
    password = _ask_password()
    if len(password) < 8:
        raise click.ClickException("a password needs at least 8 characters")
    user = User(username=name, is_admin=admin, session_version=0)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {'admin' if admin else 'editor'} {name}.")


@click.command("import-article")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--published", help="Publication time, ISO-8601 (default: now).")
@click.option("--tag", "tags", multiple=True, help="A tag to add; repeat for more.")
def import_article_command(file: Path, published: str | None, tags: tuple[str, ...]) -> None:
    """Import a plain-text wire article and print the new post's path."""
    try:
        article = parse_wire_article(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot import {file}: {error}") from error
    post = create_post(
        title=article.title,
        body=article.body_markdown,
        status="published",
        published_at=_parse_iso(published),
        tags=list(tags),
        key_points=article.key_points,
        contradictions=article.contradictions,
        sources=article.sources,
    )
    db.session.commit()
    click.echo(post.path)


privacy_group = AppGroup("privacy", help="Export or erase a reader's replies by email address.")


def _replies_of(email: str) -> list[Reply]:
    return list(
        db.session.scalars(
            select(Reply).where(Reply.email == email.strip().lower()).order_by(Reply.created_at)
        )
    )


@privacy_group.command("export")
@click.argument("email")
def privacy_export(email: str) -> None:
    """Print every reply sent with this email address, as JSON."""
    replies = [
        {
            "id": r.id,
            "post": r.post.path,
            "name": r.name,
            "email": r.email,
            "website": r.website,
            "body": r.body,
            "status": r.status,
            "created_at": r.created_at.isoformat(),
            "edited_at": r.edited_at.isoformat() if r.edited_at else None,
        }
        for r in _replies_of(email)
    ]
    click.echo(json.dumps({"email": email.strip().lower(), "replies": replies}, indent=2))


@privacy_group.command("erase")
@click.argument("email")
def privacy_erase(email: str) -> None:
    """Anonymise this email's replies: name 'Anonymous', email and website cleared."""
    replies = _replies_of(email)
    for reply in replies:
        reply.name, reply.email, reply.website = "Anonymous", "", ""
    db.session.commit()
    click.echo(f"Anonymised {len(replies)} {'reply' if len(replies) == 1 else 'replies'}.")


@click.command("backup")
@with_appcontext
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(dest: Path) -> None:
    """Write a consistent copy of the database while the site keeps serving."""
    try:
        backup_database(dest)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up to {dest}.")


def init_app(app: Flask) -> None:
    """Register the commands with `flask`."""
    for command in (
        init_db_command,
        seed_demo_command,
        create_user_command,
        import_article_command,
        privacy_group,
        backup_command,
    ):
        app.cli.add_command(command)
