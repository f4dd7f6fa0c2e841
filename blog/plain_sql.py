"""The hottest statements, run on a DBAPI connection of their own instead of through the Session.

An anonymous reader's article page needs one small SELECT. Through the Session and
SQLAlchemy's execution layer that SELECT cost about 0.24 ms of CPU; on the pool's raw
connection it costs about 0.04 ms. `PlainSelect` keeps the statement a normal Core `select()`
(one definition for every backend): it is compiled once per dialect, its parameters and result
columns pass through their column types' processors, and nothing else is skipped. The reply
POST's one INSERT goes the same way (`PlainInsert`). Anything that needs the ORM stays on the
Session; no SQLAlchemy event listener watches these statements (the database's own triggers
still run).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import namedtuple
from collections.abc import Callable
from typing import Any, NamedTuple

from flask import Flask, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.selectable import GenerativeSelect

from . import wal_checkpoint, write_queue
from .extensions import db

_GIVEN = object()  # a slot filled from the caller's parameters, not a constant


class _Compiled(NamedTuple):
    sql: str
    # Positional styles (qmark, format): each parameter in order as (name, processor, the
    # constant fixed in the statement, already processed, or _GIVEN). None: by name.
    slots: tuple[tuple[str, Callable[[Any], Any] | None, Any], ...] | None
    constants: dict[str, Any]  # parameters fixed in the statement, already processed
    binds: dict[str, Callable[[Any], Any] | None]  # processor of each parameter
    results: tuple[Callable[[Any], Any] | None, ...] | None  # None: no column converts


_HELD = "_plain_sql_connection"
_thread = threading.local()
# This process's id, kept current across forks: os.getpid() is a system call, and every plain
# statement checks that its kept connection was opened by this very process.
_process_id = os.getpid()


def _forked() -> None:
    global _process_id
    _process_id = os.getpid()


os.register_at_fork(after_in_child=_forked)


class _Kept:
    """A thread's SQLite connection for plain statements, out of the pool for good."""

    __slots__ = ("engine", "pool", "pid", "raw", "__weakref__")

    def __init__(self, engine: Engine) -> None:
        self.engine, self.pool, self.pid = engine, engine.pool, os.getpid()
        self.raw = engine.raw_connection()
        self.raw.detach()  # closed, not pooled, when let go

    def serves(self, engine: Engine) -> bool:
        return self.engine is engine and self.pool is engine.pool and self.pid == _process_id

    def close(self, _getpid=os.getpid) -> None:  # bound early: __del__ may run at shutdown
        raw, self.raw = self.raw, None
        if raw is not None and self.pid == _getpid():  # never close a parent's connection
            raw.close()

    __del__ = close  # a thread that ends lets go of its connection


_ALL_KEPT: weakref.WeakSet[_Kept] = weakref.WeakSet()


def _connection(engine: Engine):
    """The DBAPI connection for plain statements.

    On SQLite, each thread keeps one, taken out of the pool for good (detached): a plain
    statement commits or leaves no transaction open, so nothing is carried from one request to
    the next, and a page skips a pool checkout and return. A new engine or pool, another
    process, or `engine.dispose()` (which closes them all, as it closes the pool's) gets a new
    one. Elsewhere it is the request's pooled connection, checked out on first use and returned
    when the app context ends (its rollback ends the transaction a PostgreSQL SELECT opens).
    """
    if engine.dialect.name == "sqlite":
        kept = getattr(_thread, "sqlite", None)
        if kept is None or kept.raw is None or not kept.serves(engine):
            _forget_kept()
            kept = _thread.sqlite = _Kept(engine)
            _ALL_KEPT.add(kept)
        return kept.raw
    held = g.get(_HELD)
    if held is None or held[0] is not engine:
        release()
        held = (engine, engine.raw_connection())
        setattr(g, _HELD, held)
    return held[1]


def _forget_kept() -> None:
    """Close this thread's SQLite connection (after an error, or for another engine)."""
    kept = getattr(_thread, "sqlite", None)
    _thread.sqlite = None
    if kept is not None:
        kept.close()


@event.listens_for(Engine, "engine_disposed")
def _close_kept(engine: Engine) -> None:
    """engine.dispose() closes every connection of the engine: the kept ones too (a file
    system is remounted read-only only once no process holds the database open for writing)."""
    for kept in list(_ALL_KEPT):
        if kept.engine is engine:
            kept.close()


def release(_error: BaseException | None = None) -> None:
    """Return the request's pooled connection to the pool (which rolls it back)."""
    held = g.pop(_HELD, None)
    if held is not None:
        held[1].close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(release)


class _PlainStatement:
    """A Core statement compiled once per dialect and run on a pooled DBAPI connection."""

    commit = False

    def __init__(self, statement: GenerativeSelect | Insert) -> None:
        self.statement = statement
        self.row_type = namedtuple("Row", statement.exported_columns.keys())  # noqa: PYI024
        self._by_dialect: dict[tuple, _Compiled] = {}

    def _compile(self, engine: Engine) -> _Compiled:
        key = (type(engine.dialect), engine.dialect.paramstyle)
        compiled = self._by_dialect.get(key)
        if compiled is not None:
            return compiled
        dialect = engine.dialect
        sql = self.statement.compile(dialect=dialect)
        if "POSTCOMPILE" in str(sql):
            raise ValueError("Plain statements take no expanding IN: write it as OR of equalities")
        processors = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for bind, name in sql.bind_names.items()
        }
        if isinstance(self.statement, Insert):
            # Python-side column defaults are computed by SQLAlchemy's execution context,
            # which this path skips: the statement must name every such column itself.
            unfilled = [
                name
                for bind, name in sql.bind_names.items()
                if not bind.required and bind.value is None and bind.callable is None
            ]
            if unfilled:
                raise ValueError(f"PlainInsert needs values for: {', '.join(unfilled)}")
        constants = {}
        for bind, name in sql.bind_names.items():
            if not bind.required:
                process = processors[name]
                constants[name] = process(bind.effective_value) if process else bind.effective_value
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.statement.exported_columns
        )
        slots = None
        if sql.positiontup:
            slots = tuple(
                (name, processors[name], constants.get(name, _GIVEN)) for name in sql.positiontup
            )
        compiled = _Compiled(
            str(sql), slots, constants, processors, results if any(results) else None
        )
        self._by_dialect[key] = compiled
        return compiled

    def first(self, **params: Any) -> tuple | None:
        """The first row (a named tuple) with every column converted as SQLAlchemy would."""
        rows = self._run(params, one=True)
        return rows[0] if rows else None

    def all(self, **params: Any) -> list[tuple]:
        """Every row, as named tuples."""
        return self._run(params, one=False)

    def _run(self, params: dict[str, Any], one: bool) -> list[tuple]:
        engine = db.engine
        compiled = self._compile(engine)
        if compiled.slots is not None:
            arguments = tuple(
                [
                    constant
                    if constant is not _GIVEN
                    else (process(params[name]) if process else params[name])
                    for name, process, constant in compiled.slots
                ]
            )
        else:
            arguments = dict(compiled.constants)
            for name, value in params.items():
                process = compiled.binds.get(name)
                arguments[name] = process(value) if process else value
        dbapi_error = engine.dialect.loaded_dbapi.Error
        try:
            raw = _connection(engine)
            if not self.commit:
                found = _fetch(raw, compiled.sql, arguments, one)
            else:
                sqlite_file = _sqlite_file(engine)
                # A write waits its turn among this host's workers (write_queue.py).
                with write_queue.turn(sqlite_file):
                    found = _fetch(raw, compiled.sql, arguments, one)
                    raw.commit()
                if sqlite_file:
                    wal_checkpoint.after_commit(sqlite_file)
        except dbapi_error as error:
            release()  # back to the pool, which rolls it back (or drops it if it broke)
            _forget_kept()  # a failed INSERT leaves its transaction open: start afresh
            # Raised as SQLAlchemy would (OperationalError and so on), so the outage pages and
            # every other handler see the same exceptions as from the Session.
            raise DBAPIError.instance(compiled.sql, arguments, error, dbapi_error) from error
        make, processors = self.row_type._make, compiled.results
        if processors is None:
            return [make(row) for row in found]
        return [
            make([p(v) if p else v for p, v in zip(processors, row, strict=True)]) for row in found
        ]


def _sqlite_file(engine: Engine) -> str | None:
    """The path of the engine's SQLite database file; None for another database, an in-memory
    one or a `file:` URI (no lock file or checkpoint of ours applies to those)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database.startswith(("file:", ":memory:")):
        return None
    return database


def _fetch(raw, sql: str, arguments, one: bool) -> list:
    cursor = raw.cursor()
    try:
        cursor.execute(sql, arguments)
        return cursor.fetchmany(1) if one else cursor.fetchall()
    finally:
        cursor.close()


class PlainSelect(_PlainStatement):
    """A Core SELECT (or UNION); rows are named tuples.

    It reads what is committed, outside the request's Session transaction: for reads that
    come before a request writes anything.
    """


class PlainInsert(_PlainStatement):
    """A Core INSERT ... RETURNING, committed on its own: for a request whose one write it is.
    `first(**values)` gives the returned row; a constraint broken raises IntegrityError."""

    commit = True
