"""PostgreSQL schemas for the tests: one fresh schema per app, made ahead and dropped behind.

Alembic migrates one template schema per session (the real migrations, on PostgreSQL). The SQL
they sent is recorded and replayed, in one round trip, into every new schema, and the first
replay is checked against the template (tables, columns, constraints, indexes, functions,
triggers, seeded rows), so a migration the replay cannot reproduce fails the run instead of
testing a different schema. A thread keeps two fresh schemas ready and another drops used
ones, so PostgreSQL does that DDL while Python runs the tests.
"""

import queue
import re
import threading
import uuid

import psycopg
from sqlalchemy import event, make_url

# Statements Alembic sends only to look: catalog reflection and its own version row.
_READ_ONLY = re.compile(
    r"^\s*SELECT\b.*\bFROM\s+(pg_catalog\.|alembic_version\b)", re.IGNORECASE | re.DOTALL
)


def schema_url(url: str, schema: str) -> str:
    """The SQLAlchemy URL with the schema as every connection's search_path and its name as
    their application_name (to find the schema's connections). In the URL, not the engine
    options, so a gunicorn started from the app's SQLALCHEMY_DATABASE_URI reaches the same
    schema. Commits do not wait for the disk: the tests never crash the server, and nothing
    a client can see depends on it."""
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    return (
        make_url(url)
        .update_query_dict({"options": options, "application_name": schema})
        .render_as_string(hide_password=False)
    )


def libpq_url(url: str) -> str:
    """TEST_DATABASE_URL for psycopg itself (no '+driver')."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def new_schema_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def drop_schema(connection: psycopg.Connection, schema: str) -> None:
    """End connections a test left open on the schema (they would hold locks), then drop it."""
    connection.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = %s AND pid <> pg_backend_pid()",
        (schema,),
    )
    connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def record_migration_sql(engine, migrate) -> str:
    """Run `migrate()` on `engine` and return the SQL it changed the schema with, as a script."""
    sent: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany) -> None:
        if _READ_ONLY.match(statement):
            return
        if parameters:
            raise RuntimeError(f"a migration statement has bind parameters: {statement[:200]}")
        sent.append(statement.strip().rstrip(";"))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        migrate()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return ";\n".join(sent) + ";\n"


def describe_schema(connection: psycopg.Connection, schema: str) -> list[str]:
    """Everything a migration makes in a schema, as text with the schema's name blanked."""
    queries = [
        "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, "
        "column_default FROM information_schema.columns WHERE table_schema = %(s)s",
        "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
        "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %(s)s",
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %(s)s",
        "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %(s)s",
        "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %(s)s AND NOT t.tgisinternal",
        "SELECT c.relname, c.relkind FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(s)s",
    ]
    rows = []
    for sql in queries:
        rows += [repr(row) for row in connection.execute(sql, {"s": schema})]
    for table in ("alembic_version", "post_cache_version"):
        rows += [
            f"{table}: {row!r}" for row in connection.execute(f'SELECT * FROM "{schema}".{table}')
        ]
    return sorted(row.replace(schema, "<schema>") for row in rows)


class SchemaPool:
    """Fresh schemas built from the recorded migration script, made ahead and dropped behind."""

    READY = 2

    def __init__(self, url: str, script: str) -> None:
        self.conninfo = libpq_url(url)
        self.script = script
        self._ready: queue.Queue = queue.Queue(maxsize=self.READY)
        self._used: queue.Queue = queue.Queue()
        self._failure: BaseException | None = None
        self._closing = threading.Event()
        self._maker = threading.Thread(target=self._make, name="schema-maker", daemon=True)
        self._dropper = threading.Thread(target=self._drop, name="schema-dropper", daemon=True)

    def build(self, schema: str) -> None:
        """Create `schema` and replay the migration script into it."""
        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
            connection.execute(f'SET search_path TO "{schema}"')
            connection.execute("BEGIN")
            connection.execute(self.script)
            connection.execute("COMMIT")

    def start(self) -> None:
        self._maker.start()
        self._dropper.start()

    def take(self) -> str:
        """A fresh schema no test has used."""
        while True:
            if self._failure is not None:
                raise RuntimeError("making test schemas failed") from self._failure
            try:
                return self._ready.get(timeout=1)
            except queue.Empty:
                if not self._maker.is_alive():
                    raise RuntimeError("the schema-making thread stopped") from self._failure

    def release(self, schema: str) -> None:
        """Drop the schema (soon, in the dropping thread)."""
        self._used.put(schema)

    def close(self) -> None:
        """Stop making schemas, drop every one made, wait for the drops."""
        self._closing.set()
        leftovers = []
        while self._maker.is_alive():
            try:
                leftovers.append(self._ready.get(timeout=0.1))
            except queue.Empty:
                pass
        while not self._ready.empty():
            leftovers.append(self._ready.get())
        for schema in leftovers:
            self._used.put(schema)
        self._used.put(None)
        self._dropper.join()
        if self._failure is not None:
            raise RuntimeError("making or dropping test schemas failed") from self._failure

    def _make(self) -> None:
        try:
            while not self._closing.is_set():
                schema = new_schema_name()
                self.build(schema)
                while True:
                    try:
                        self._ready.put(schema, timeout=0.2)
                        break
                    except queue.Full:
                        if self._closing.is_set():
                            self._used.put(schema)
                            return
        except BaseException as error:  # surfaced by take() and close()
            self._failure = error

    def _drop(self) -> None:
        try:
            with psycopg.connect(self.conninfo, autocommit=True) as connection:
                connection.execute("SET lock_timeout = '20s'")
                while (schema := self._used.get()) is not None:
                    drop_schema(connection, schema)
        except BaseException as error:
            self._failure = error
