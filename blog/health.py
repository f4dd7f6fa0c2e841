"""Is the database able to take a reply right now? The answer behind /healthz.

`SELECT 1` alone says yes to an SQLite file that can still be read but not written: a read-only
file or file system, a full disk, or a lock held longer than the busy timeout. Those are outages
for a site whose readers write, so the probe checks each of them too.
"""

import os

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

PROBE_BUSY_TIMEOUT_MS = 1000  # wait this long for a writer to finish before calling it locked


def database_problem() -> str | None:
    """What keeps the database from reading and writing now, or None when it is well."""
    try:
        db.session.execute(text("SELECT 1"))
        if db.engine.dialect.name == "sqlite":
            return _sqlite_problem()
    except SQLAlchemyError as error:
        db.session.rollback()
        return f"database error: {error.__class__.__name__}"
    return None


def _sqlite_problem() -> str | None:
    path = db.engine.url.database
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        return None
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.access(path, os.W_OK) or not os.access(folder, os.W_OK):
        return "the database file or its folder is read-only"
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    if free < int(current_app.config["HEALTHZ_MIN_FREE_BYTES"]):
        return f"the disk holding the database is full ({free} bytes free)"
    return _sqlite_write_lock_problem()


def _sqlite_write_lock_problem() -> str | None:
    """Take and release the write lock, waiting at most PROBE_BUSY_TIMEOUT_MS for it."""
    raw = db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        previous = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        conn.execute(f"PRAGMA busy_timeout = {PROBE_BUSY_TIMEOUT_MS}")
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        except Exception as error:  # sqlite3.OperationalError: locked, read-only, I/O
            return f"the database cannot be written: {error}"
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(previous)}")
    finally:
        raw.close()
    return None
