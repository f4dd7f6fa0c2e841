"""Connection settings every SQLite connection gets, and the schema commands."""

import atexit
import sqlite3
import weakref

from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .wal_checkpoint import AUTOCHECKPOINT_PAGES

# Each connection's page cache (SQLite's default is 2 MB). A worker holds two connections (the
# Session's and plain_sql's), and on a 100k-post archive both filled up: +2.5 MB per worker.
# The hot pages of every reader's page fit in 512 KiB (no file reads once warm); a page not
# cached comes back from the OS's file cache in about a microsecond.
SQLITE_CACHE_KIB = 512


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, connection_record) -> None:
    """WAL for readers beside a writer, enforced foreign keys, a busy wait instead of errors,
    checkpoints off the request path, a bounded page cache."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Checkpoints run in the background (wal_checkpoint.py); this is the backstop.
    cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # negative: KiB, not pages
    cursor.close()


_apps: weakref.WeakSet[Flask] = weakref.WeakSet()


def init_app(app: Flask) -> None:
    """Close the app's database connections when this process exits.

    SQLite folds the write-ahead log into the database and removes it when its last connection
    closes; Python leaves objects still alive at exit unclosed, so every worker used to exit
    with its connections open and leave the log behind: after a stream of replies, 80 MB that
    the next start read back before its first answer (13 ms of each worker's start-up here).
    Now each process disposes its engines at exit, and the last one out leaves no log.
    """
    _apps.add(app)


@atexit.register
def _close_connections() -> None:
    for app in list(_apps):
        try:
            with app.app_context():
                for engine in db.engines.values():
                    engine.dispose()  # plain_sql closes its kept connections with the pool's
        except (SQLAlchemyError, sqlite3.Error):
            pass  # exiting anyway: SQLite folds in the log at the next start


def upgrade_schema(app: Flask) -> None:
    """Apply every migration not yet applied; never drops data, safe to repeat."""
    from flask_migrate import upgrade  # here, not at the top: serving never imports Alembic

    with app.app_context():
        upgrade()


def backup_database(dest) -> None:
    """Copy the live SQLite database with its online backup API (readers and writers go on)."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise ValueError(
            "flask backup copies SQLite databases; on PostgreSQL use "
            "`pg_dump --format=custom --file=DEST DATABASE_URL` instead"
        )
    source = engine.raw_connection()
    try:
        target = sqlite3.connect(str(dest))
        try:
            source.driver_connection.backup(target)
        finally:
            target.close()
    finally:
        source.close()
