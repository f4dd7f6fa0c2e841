"""The page cache on Redis, shared by two app instances as two machines would share it.

Skips without TEST_REDIS_URL. Each test uses its own key prefix and deletes its keys after.
"""

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from conftest import REPLY_DEFAULTS, reply_form_fields
from flask import Flask

from blog import clock
from blog.articles import create_post
from blog.extensions import db

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")


@pytest.fixture
def prefix() -> Iterator[str]:
    chosen = f"blogtest-{uuid.uuid4().hex[:10]}:"
    yield chosen
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=chosen + "*"):
        client.delete(key)
    client.close()


def machine(make_app, prefix: str, **database) -> Flask:
    """One 'machine': its own instance folder, the shared database and the shared Redis."""
    return make_app(
        CACHE_TYPE="RedisCache", CACHE_REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix, **database
    )


def test_two_machines_share_the_cache_and_its_invalidation(make_app, prefix) -> None:
    one = machine(make_app, prefix)
    shared = one.config["SQLALCHEMY_DATABASE_URI"]
    two = machine(make_app, prefix, SQLALCHEMY_DATABASE_URI=shared)
    with one.app_context():
        create_post(title="Ferry returns", body="Text.", published_at=clock.now())
        db.session.commit()

    store = redis.Redis.from_url(REDIS_URL)
    try:
        reader_one, reader_two = one.test_client(), two.test_client()
        assert reader_one.get("/posts/ferry-returns").status_code == 200
        article_keys = list(store.scan_iter(match=prefix + "article:*"))
        assert len(article_keys) == 1  # machine one stored the shared page in Redis

        page = reader_two.get("/posts/ferry-returns").get_data(as_text=True)
        assert "Ferry returns" in page
        assert list(store.scan_iter(match=prefix + "article:*")) == article_keys  # a hit

        fields = reply_form_fields(page)
        sent = reader_two.post(
            "/posts/ferry-returns/replies",
            data={**fields, **REPLY_DEFAULTS, "body": "Finally, a way across."},
        )
        assert sent.status_code == 303
        # Machine one never saw the POST, yet its next view has the reply: the version moved.
        fresh = one.test_client().get("/posts/ferry-returns").get_data(as_text=True)
        assert "Finally, a way across." in fresh
        assert "1 reply" in fresh
    finally:
        store.close()
