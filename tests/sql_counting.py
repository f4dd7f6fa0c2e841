"""Counting the SQL statements a block of code runs, for tests about statement counts.

On SQLite the database itself reports each statement (its trace callback), so reads that skip
SQLAlchemy's execution layer (blog/plain_sql.py) are counted too; on other databases an
SQLAlchemy `before_cursor_execute` listener sees only what goes through SQLAlchemy.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from blog.extensions import db


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    """Collect every SQL statement run while the block runs."""
    seen: list[str] = []
    active = [True]
    with app.app_context():
        engine = db.engine

    if engine.dialect.name == "sqlite":

        def trace(statement: str) -> None:
            if active[0] and not statement.startswith("--"):  # "-- TRIGGER name": same statement
                seen.append(statement)

        def watch(dbapi_connection, record, proxy) -> None:
            dbapi_connection.set_trace_callback(trace)

        event.listen(engine, "checkout", watch)
        try:
            yield seen
        finally:
            active[0] = False
            event.remove(engine, "checkout", watch)
        return

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
