"""Shared fixtures: a fresh app with its own instance folder and database per test.

The database is a SQLite file in the instance folder by default. With TEST_BACKEND=postgres
(and TEST_DATABASE_URL, TEST_REDIS_URL set) every app gets a fresh PostgreSQL schema of
TEST_DATABASE_URL instead, with the schema the migrations make (tests/pg_schemas.py), dropped
after the test even when it fails, and keeps its page cache and rate-limit counters in Redis
under a key prefix of its own, deleted after the test. Tests marked `sqlite_only(reason=...)`
skip on that run, saying why.
"""

import functools
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from werkzeug.serving import make_server

from blog import clock, create_app
from blog.articles import ContradictionInput, create_post
from blog.database import upgrade_schema
from blog.extensions import db
from tests.pg_schemas import (
    SchemaPool,
    describe_schema,
    drop_schema,
    libpq_url,
    new_schema_name,
    record_migration_sql,
    schema_url,
)

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
SEED_FILE = SHARED_DIR / "seeds" / "000_0e5c6ea36a4d1198.txt"
CHROMIUM = "/usr/bin/chromium"
DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
BACKENDS = ("sqlite", "postgres")
TEST_BACKEND = os.environ.get("TEST_BACKEND", "sqlite")
ON_POSTGRES = TEST_BACKEND == "postgres"

BASE_TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "WTF_CSRF_ENABLED": False,
    "REPLY_MIN_SECONDS": 0,
    "REPLY_FLOOD_SECONDS": 0,
    "REPLY_MODERATION": "none",
    "SERVER_NAME": None,
}


def pytest_configure(config: pytest.Config) -> None:
    if TEST_BACKEND not in BACKENDS:
        raise pytest.UsageError(f"TEST_BACKEND={TEST_BACKEND!r}: use one of {', '.join(BACKENDS)}")
    if ON_POSTGRES:
        missing = [
            name for name in ("TEST_DATABASE_URL", "TEST_REDIS_URL") if not os.environ.get(name)
        ]
        if missing:
            raise pytest.UsageError(
                f"TEST_BACKEND=postgres needs {' and '.join(missing)} "
                "(a PostgreSQL database and a Redis server to run the suite against)"
            )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL run, skip tests marked sqlite_only with the reason they give."""
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is None:
            continue
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
        if not reason:
            raise pytest.UsageError(f"{item.nodeid}: sqlite_only needs a reason")
        if ON_POSTGRES:
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


class AppFactory:
    """Builds migrated apps, each in an instance folder of its own under `folder`, on a
    SQLite file there or (backend "postgres") on a fresh schema of TEST_DATABASE_URL: taken
    from `pool` when given (see tests/pg_schemas.py), else created and migrated by Alembic
    here. With `redis`, each app keeps its page cache and rate limits in Redis under a prefix
    of its own. close() drops the schemas and deletes the Redis keys."""

    def __init__(
        self,
        folder: Path,
        pool: SchemaPool | None = None,
        backend: str = TEST_BACKEND,
        redis: bool = ON_POSTGRES,
    ) -> None:
        self.folder = folder
        self.pool = pool
        self.backend = backend
        self.redis = redis
        self.key_prefix = f"blogtest:{uuid.uuid4().hex[:12]}:"  # unique across runs too
        self.apps: list[Flask] = []
        self.schemas: list[str] = []

    def _database_config(self, name: str) -> tuple[dict, bool]:
        """The database settings for a new app, and whether it still needs migrating."""
        if self.backend == "sqlite":
            uri = f"sqlite:///{self.folder / name / 'blog.sqlite'}"
            return {"SQLALCHEMY_DATABASE_URI": uri}, True
        if self.pool is not None:
            schema, migrate = self.pool.take(), False
        else:
            schema, migrate = new_schema_name(), True
            with psycopg.connect(libpq_url(DATABASE_URL), autocommit=True) as connection:
                connection.execute(f'CREATE SCHEMA "{schema}"')
        self.schemas.append(schema)
        return {"SQLALCHEMY_DATABASE_URI": schema_url(DATABASE_URL, schema)}, migrate

    def _shared_services_config(self, name: str) -> dict:
        if not self.redis:
            return {}
        prefix = f"{self.key_prefix}{name}:"
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": f"{prefix}cache:",
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            # The storage's own prefix leads every key (RATELIMIT_KEY_PREFIX would come after
            # the library's "LIMITS:"), so the test's keys can be found and deleted.
            "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": f"{prefix}limits"},
        }

    def build(self, **overrides) -> Flask:
        name = f"instance{len(self.apps) + 1}"
        instance = self.folder / name
        instance.mkdir()
        config = {**BASE_TEST_CONFIG, "INSTANCE_PATH": str(instance)}
        migrate = True  # a test sharing another app's database brings its URI: a no-op then
        if "SQLALCHEMY_DATABASE_URI" not in overrides:
            database, migrate = self._database_config(name)
            config.update(database)
        config.update(self._shared_services_config(name))
        config.update(overrides)
        app = create_app(config)
        self.apps.append(app)
        if migrate:
            upgrade_schema(app)
        return app

    def close(self) -> None:
        try:
            if self.backend == "postgres":
                self._drop_schemas()
        finally:
            if self.redis:
                _delete_redis_keys(self.key_prefix + "*")

    def _drop_schemas(self) -> None:
        for app in self.apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.pool is not None:
            for schema in self.schemas:
                self.pool.release(schema)
            return
        with psycopg.connect(libpq_url(DATABASE_URL), autocommit=True) as connection:
            connection.execute("SET lock_timeout = '20s'")
            for schema in self.schemas:
                drop_schema(connection, schema)


def _delete_redis_keys(pattern: str) -> None:
    import redis  # only the PostgreSQL run has Redis

    store = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(store.scan_iter(match=pattern, count=1000))
        if keys:
            store.delete(*keys)
    finally:
        store.close()


@pytest.fixture(scope="session")
def schema_pool(tmp_path_factory) -> Iterator[SchemaPool | None]:
    """On the PostgreSQL run: Alembic migrates a template schema once, then every app gets a
    fresh schema built from the SQL it sent (tests/pg_schemas.py). None on the SQLite run."""
    if not ON_POSTGRES:
        yield None
        return
    template, first = new_schema_name(), new_schema_name()
    conninfo = libpq_url(DATABASE_URL)
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{template}"')
        pool = None
        try:
            app = create_app(
                {
                    **BASE_TEST_CONFIG,
                    "INSTANCE_PATH": str(tmp_path_factory.mktemp("template")),
                    "SQLALCHEMY_DATABASE_URI": schema_url(DATABASE_URL, template),
                }
            )
            with app.app_context():
                script = record_migration_sql(db.engine, lambda: upgrade_schema(app))
                db.engine.dispose()
            pool = SchemaPool(DATABASE_URL, script)
            pool.build(first)
            made, replayed = describe_schema(admin, template), describe_schema(admin, first)
            if made != replayed:
                lost = sorted(set(made) - set(replayed))[:20]
                extra = sorted(set(replayed) - set(made))[:20]
                raise RuntimeError(
                    "replaying the migrations' SQL does not make the schema Alembic made:\n"
                    f"missing {lost}\nunexpected {extra}"
                )
            pool.start()
            yield pool
        finally:
            try:
                if pool is not None:
                    pool.close()
            finally:
                drop_schema(admin, first)
                drop_schema(admin, template)


@pytest.fixture
def make_app(tmp_path: Path, schema_pool: SchemaPool | None) -> Iterator[Callable[..., Flask]]:
    """Build a migrated app in a temp instance folder on a database of its own (see the
    module docstring); keyword arguments override the test config."""
    factory = AppFactory(tmp_path, pool=schema_pool)
    try:
        yield factory.build
    finally:
        factory.close()


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def publish_post(app: Flask, title: str = "Bridge vote passes", **fields) -> str:
    """Create a post in this app's database (published five minutes ago unless told
    otherwise) and return its slug."""
    fields.setdefault("body", "The council voted on Tuesday.\n\nWork starts in spring.")
    fields.setdefault("published_at", clock.now() - timedelta(minutes=5))
    with app.app_context():
        post = create_post(title=title, **fields)
        db.session.commit()
        return post.slug


@pytest.fixture
def add_post(app: Flask) -> Callable[..., str]:
    """publish_post bound to this test's app."""
    return functools.partial(publish_post, app)


@pytest.fixture
def rich_post(add_post) -> str:
    """A post with every structured part."""
    return add_post(
        "Council approves footbridge",
        dek="A five-to-two vote.",
        byline="Mara Okafor",
        tags=["Council", "Transport"],
        key_points=["The vote was 5-2.", "Work starts in spring."],
        sources=[("Minutes", "https://example.com/minutes"), ("Report", "https://example.com/r")],
        contradictions=[ContradictionInput("Costs differ between the two documents.", [1, 2])],
    )


REPLY_DEFAULTS = {
    "body": "A thoughtful reply about the bridge.",
    "name": "Reader One",
    "email": "reader.one@example.com",
    "website": "",
}


def reply_form_fields(html: str) -> dict[str, str]:
    """Every hidden control of the rendered reply form, as a browser would send it back."""
    form = html[html.index('id="reply-form"') :]
    form = form[: form.index("</form>")]
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if name and kind and kind.group(1) == "hidden":
            fields[name.group(1)] = value.group(1) if value else ""
    fields.setdefault("homepage", "")
    return fields


@pytest.fixture
def send_reply(client) -> Callable[..., object]:
    """GET the article, then POST the form back with its hidden controls and the given fields."""

    def send(slug: str, the_client=None, **fields):
        c = the_client or client
        page = c.get(f"/posts/{slug}")
        assert page.status_code == 200, page.status_code
        data = reply_form_fields(page.get_data(as_text=True))
        data.update(REPLY_DEFAULTS)
        data.update({k: v for k, v in fields.items() if v is not None})
        for key in [k for k, v in fields.items() if v is None]:
            data.pop(key, None)
        return c.post(f"/posts/{slug}/replies", data=data)

    return send


class LiveServer:
    """The app served by a real threaded HTTP server on a free loopback port."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


def _chromium_or_skip() -> str:
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing on CI: .ci/run must install Debian's chromium")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI is unset")
    return ""


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def seed_text() -> str:
    if not SEED_FILE.exists():
        pytest.skip(f"{SEED_FILE} is absent: the shared seeds folder is not beside the checkout")
    return SEED_FILE.read_text(encoding="utf-8")


@pytest.fixture
def seed_file(tmp_path: Path, seed_text: str) -> Path:
    copy = tmp_path / "seed.txt"
    shutil.copyfile(SEED_FILE, copy)
    return copy


@pytest.fixture
def make_pg_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps on fresh PostgreSQL schemas of TEST_DATABASE_URL, each dropped afterwards,
    so tests running at once on one database never see each other's rows (on either run)."""
    if not DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set (a PostgreSQL database to test against)")
    (tmp_path / "pg").mkdir()
    # Redis for the cache and limits when there is one; the default stores otherwise.
    factory = AppFactory(tmp_path / "pg", backend="postgres", redis=bool(REDIS_URL))  # Alembic
    try:
        yield factory.build
    finally:
        factory.close()


@pytest.fixture
def pg_app(make_pg_app) -> Flask:
    return make_pg_app()
