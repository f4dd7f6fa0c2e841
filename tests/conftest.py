"""Shared fixtures: a fresh app with its own instance folder and SQLite file per test."""

import functools
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from blog import clock, create_app
from blog.articles import ContradictionInput, create_post
from blog.database import upgrade_schema
from blog.extensions import db

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
SEED_FILE = SHARED_DIR / "seeds" / "000_0e5c6ea36a4d1198.txt"
CHROMIUM = "/usr/bin/chromium"
DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")

BASE_TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "WTF_CSRF_ENABLED": False,
    "REPLY_MIN_SECONDS": 0,
    "REPLY_FLOOD_SECONDS": 0,
    "REPLY_MODERATION": "none",
    "SERVER_NAME": None,
}


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Flask]:
    """Build an app in a temp instance folder; keyword arguments override the test config."""
    counter = {"n": 0}

    def build(**overrides) -> Flask:
        counter["n"] += 1
        instance = tmp_path / f"instance{counter['n']}"
        instance.mkdir()
        config = {
            **BASE_TEST_CONFIG,
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'blog.sqlite'}",
            **overrides,
        }
        app = create_app(config)
        upgrade_schema(app)
        return app

    return build


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
    so tests running at once on one database never see each other's rows."""
    if not DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set (a PostgreSQL database to test against)")
    admin = create_engine(DATABASE_URL)
    made: list[tuple[Flask, str]] = []

    def build(**overrides) -> Flask:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        instance = tmp_path / f"instance-{schema}"
        app = create_app(
            {
                **BASE_TEST_CONFIG,
                "INSTANCE_PATH": str(instance),
                "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
                "SQLALCHEMY_ENGINE_OPTIONS": {
                    "connect_args": {"options": f"-csearch_path={schema}"}
                },
                **overrides,
            }
        )
        made.append((app, schema))
        upgrade_schema(app)
        return app

    try:
        yield build
    finally:
        for app, schema in made:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_app(make_pg_app) -> Flask:
    return make_pg_app()
