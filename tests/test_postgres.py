"""The reader pages, the reply form and its rules, and the page cache on real PostgreSQL.

Each test migrates a fresh schema of its own in TEST_DATABASE_URL (so the migrations, triggers
included, run on PostgreSQL every time) and drops it afterwards.
"""

import os
import re
from datetime import timedelta

import pytest
from conftest import REPLY_DEFAULTS, publish_post, reply_form_fields
from flask import Flask
from sqlalchemy import func, select, text
from test_sql_counts import fill, statements_per_page

from blog import clock
from blog.articles import ContradictionInput
from blog.extensions import db
from blog.models import Reply, Tag

DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not DATABASE_URL, reason="TEST_DATABASE_URL is not set"),
]


def send(client, slug: str, **fields):
    page = client.get(f"/posts/{slug}")
    assert page.status_code == 200
    data = {**reply_form_fields(page.get_data(as_text=True)), **REPLY_DEFAULTS, **fields}
    return client.post(f"/posts/{slug}/replies", data=data)


def test_reader_pages_on_postgres(pg_app: Flask) -> None:
    pg_app.config["POSTS_PER_PAGE"] = 2
    slug = publish_post(
        pg_app,
        "Council approves footbridge",
        tags=["Council"],
        key_points=["The vote was 5-2."],
        sources=[("Minutes", "https://example.com/m"), ("Report", "https://example.com/r")],
        contradictions=[ContradictionInput("Costs differ.", [1, 2])],
    )
    for n in range(3):
        publish_post(pg_app, f"Older story {n}", published_at=clock.now() - timedelta(hours=n + 1))
    publish_post(pg_app, "Draft story", status="draft")
    client = pg_app.test_client()

    front = client.get("/").get_data(as_text=True)
    assert "Council approves footbridge" in front and "Page 1 of 2" in front
    assert client.get("/?page=2").status_code == 200
    assert client.get("/?page=3").status_code == 404
    article = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "<h1" in article and "Costs differ." in article and "The vote was 5-2." in article
    assert "Council approves footbridge" in client.get("/tags/council").get_data(as_text=True)
    assert client.get("/posts/draft-story").status_code == 404
    assert client.get("/healthz").status_code == 200


def test_reply_post_threads_and_shows_at_once(pg_app: Flask) -> None:
    slug = publish_post(pg_app, "Library hours")
    client = pg_app.test_client()
    client.get(f"/posts/{slug}")  # the shared page is cached before the reply arrives
    first = send(client, slug, body="Open on Sundays, please.")
    assert first.status_code == 303
    reply_id = int(first.headers["Location"].rsplit("reply-", 1)[1])
    answer = send(client, slug, body="Seconded.", name="Reader Two", email="two@example.com",
                  parent_id=str(reply_id))  # fmt: skip
    assert answer.status_code == 303
    other = pg_app.test_client()
    page = other.get(f"/posts/{slug}").get_data(as_text=True)
    assert "2 replies" in page
    outer = re.search(rf'<article class="reply[^"]*" id="reply-{reply_id}".*', page, re.S)
    assert outer and "Seconded." in outer.group(0)
    assert "two@example.com" not in page and "reader.one@example.com" not in page


def test_duplicate_and_flood_rules_on_postgres(make_pg_app) -> None:
    app = make_pg_app(REPLY_FLOOD_SECONDS=15)
    slug = publish_post(app, "Bridge costs")
    client = app.test_client()
    assert send(client, slug, body="The estimate moved twice.").status_code == 303
    clock.advance(60)
    duplicate = send(client, slug, body="The estimate moved twice.")
    assert duplicate.status_code == 409
    assert "You already sent this reply" in duplicate.get_data(as_text=True)
    assert send(client, slug, body="Another thought entirely.").status_code == 303
    flood = send(client, slug, body="And a third one, quickly.", email="three@example.com")
    assert flood.status_code == 429
    assert 1 <= int(flood.headers["Retry-After"]) <= 15
    assert "And a third one, quickly." in flood.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Reply.id))) == 2


def test_version_triggers_keep_the_cached_page_fresh_on_postgres(pg_app: Flask) -> None:
    slug = publish_post(pg_app, "Market stays", tags=["Business"])
    client = pg_app.test_client()
    with pg_app.app_context():
        post_id = db.session.scalar(text("SELECT id FROM post WHERE slug = :s"), {"s": slug})
        reply = Reply(post_id=post_id, name="Ana", email="ana@example.com", body="Held.",
                      body_html="<p>Held.</p>", status="pending")  # fmt: skip
        db.session.add(reply)
        db.session.commit()
        reply_id = reply.id
    assert "Held." not in client.get(f"/posts/{slug}").get_data(as_text=True)
    with pg_app.app_context():
        db.session.get(Reply, reply_id).status = "approved"
        db.session.scalar(select(Tag).where(Tag.name == "Business")).name = "Trade"
        db.session.commit()
    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "Held." in page and "Trade" in page


def test_statement_counts_do_not_grow_on_postgres(make_pg_app) -> None:
    small = make_pg_app()
    fill(small, posts=12, replies=3, parts=1)
    large = make_pg_app()
    fill(large, posts=45, replies=60, parts=4)
    assert statements_per_page(large) == statements_per_page(small)
