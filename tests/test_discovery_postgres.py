"""Search, feeds and the sitemap on PostgreSQL (tsvector + websearch_to_tsquery).

Each test migrates a fresh schema of its own in TEST_DATABASE_URL and drops it afterwards, so
tests running at the same time on the same database never see each other's rows.
"""

import os
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import feedparser
import pytest
from conftest import publish_post
from discovery_helpers import delete_post, edit_post
from flask import Flask
from sqlalchemy import text

from blog import clock
from blog.extensions import db

DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not DATABASE_URL, reason="TEST_DATABASE_URL is not set"),
]


def add(app: Flask, title: str, **fields) -> str:
    """A post whose body holds no word the searches look for, unless a test gives one."""
    return publish_post(app, title, **{"body": "Plain text.", **fields})


def titles(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    found = re.findall(r'<h2 class="summary-title"><a href="/posts/[^"]+">(.*?)</a></h2>', html)
    return [re.sub(r"</?mark>", "", t) for t in found]


@pytest.fixture
def newsroom(pg_app: Flask) -> Flask:
    add(
        pg_app,
        "Council approves footbridge",
        dek="A five-to-two vote after a long debate.",
        body="Engineers counted the **pelicans** nesting under the old ferry pier.",
        key_points=["The ferryman retires."],
        tags=["Transport"],
    )
    add(pg_app, "Library opens later", body="Open until nine on weekdays.", tags=["Culture"])
    return pg_app


@pytest.mark.parametrize(
    "word, expected",
    [
        ("pelicans", ["Council approves footbridge"]),
        ("ferryman", ["Council approves footbridge"]),
        ("debate", ["Council approves footbridge"]),
        ("culture", ["Library opens later"]),
        ('"five to two"', ["Council approves footbridge"]),
        ("footbridge -library", ["Council approves footbridge"]),
        ("library NOT footbridge", ["Library opens later"]),
        ("footbri*", ["Council approves footbridge"]),
        ("pelic* ferryman", ["Council approves footbridge"]),
        ("pelic* library", []),
        ("libr* OR footbridge", ["Council approves footbridge"]),
    ],
)
def test_postgres_search_finds_every_part(newsroom, word, expected):
    assert titles(newsroom.test_client().get("/search", query_string={"q": word})) == expected


@pytest.mark.parametrize(
    "q",
    ['"', "*", "AND(", "NEAR", "NEAR(footbridge", "OR", "-", "!!", "&|", "'", "\\", ":*", "the"],
)
def test_postgres_search_survives_hostile_input(newsroom, q):
    response = newsroom.test_client().get("/search", query_string={"q": q})
    assert response.status_code == 200
    assert "not available" not in response.get_data(as_text=True)
    if "footbridge" in q:
        assert titles(response) == ["Council approves footbridge"]


def test_postgres_snippet_is_highlighted_and_escaped(pg_app):
    add(pg_app, "<b>Tolls</b> rise", body="Tolls & fees <img src=x> go up.")
    html = pg_app.test_client().get("/search?q=fees").get_data(as_text=True)
    assert "&amp; <mark>fees</mark>" in html
    assert "&lt;b&gt;Tolls&lt;/b&gt;" in html
    assert "<img src=x>" not in html


def test_postgres_index_follows_edits_and_deletes(newsroom):
    client = newsroom.test_client()
    edit_post(newsroom, "council-approves-footbridge", body="Now about herons.")
    assert titles(client.get("/search?q=pelicans")) == []
    assert titles(client.get("/search?q=herons")) == ["Council approves footbridge"]
    edit_post(newsroom, "council-approves-footbridge", key_points=["Kingfishers seen."])
    assert titles(client.get("/search?q=ferryman")) == []
    assert titles(client.get("/search?q=kingfishers")) == ["Council approves footbridge"]
    edit_post(newsroom, "library-opens-later", tags=["Evenings"])
    assert titles(client.get("/search?q=evenings")) == ["Library opens later"]
    assert titles(client.get("/search?q=culture")) == []
    delete_post(newsroom, "council-approves-footbridge")
    assert titles(client.get("/search?q=herons")) == []


def test_postgres_drafts_hidden_and_scheduled_found_when_due(pg_app):
    add(pg_app, "Draft otters", status="draft", published_at=None)
    add(pg_app, "Otters return", status="scheduled", published_at=clock.now() + timedelta(hours=1))
    client = pg_app.test_client()
    assert titles(client.get("/search?q=otters")) == []
    clock.advance(7200)
    assert titles(client.get("/search?q=otters")) == ["Otters return"]


def test_postgres_search_paginates(pg_app):
    for n in range(12):
        add(pg_app, f"Harbour note {n}", published_at=clock.now() - timedelta(hours=n + 1))
    client = pg_app.test_client()
    assert len(titles(client.get("/search?q=harbour"))) == 10
    assert len(titles(client.get("/search?q=harbour&page=2"))) == 2
    assert client.get("/search?q=harbour&page=3").status_code == 404


def test_postgres_search_ranks_the_newest_and_says_when_there_are_more(pg_app):
    pg_app.config["SEARCH_WINDOW"] = 3
    add(pg_app, "Harbour harbour harbour", published_at=clock.now() - timedelta(days=30))
    for n in range(4):
        add(pg_app, f"Harbour note {n}", published_at=clock.now() - timedelta(hours=n + 1))
    response = pg_app.test_client().get("/search?q=harbour")
    assert titles(response) == ["Harbour note 0", "Harbour note 1", "Harbour note 2"]
    assert "More than 3 posts match “harbour”" in response.get_data(as_text=True)


def test_postgres_cached_results_follow_changes(newsroom):
    client = newsroom.test_client()
    assert titles(client.get("/search?q=kingfishers")) == []
    with newsroom.app_context():
        db.session.execute(text("UPDATE key_point SET text = 'Kingfishers nest here.'"))
        db.session.commit()
    assert titles(client.get("/search?q=kingfishers")) == ["Council approves footbridge"]
    edit_post(newsroom, "council-approves-footbridge", status="draft")
    assert titles(client.get("/search?q=kingfishers")) == []


def test_postgres_feeds_parse_and_keep_ids_across_edits(newsroom):
    client = newsroom.test_client()
    first = feedparser.parse(client.get("/feed.xml").data)
    assert not first.bozo
    assert [e.title for e in first.entries] == [
        "Library opens later",
        "Council approves footbridge",
    ]
    edit_post(newsroom, "council-approves-footbridge", title="Footbridge approved")
    second = feedparser.parse(client.get("/feed.xml").data)
    assert second.entries[1].title == "Footbridge approved"
    assert second.entries[1].id == first.entries[1].id
    tag_feed = feedparser.parse(client.get("/tags/transport/feed.xml").data)
    assert not tag_feed.bozo and [e.title for e in tag_feed.entries] == ["Footbridge approved"]
    replies = client.get("/posts/library-opens-later/replies.xml")
    assert replies.status_code == 200 and not feedparser.parse(replies.data).bozo


def test_postgres_sitemap_parses(newsroom):
    response = newsroom.test_client().get("/sitemap.xml")
    root = ET.fromstring(response.data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = {url.find("s:loc", ns).text for url in root.findall("s:url", ns)}
    assert "http://localhost/posts/council-approves-footbridge" in locations
    assert "http://localhost/tags/culture" in locations
    assert all(url.find("s:lastmod", ns) is not None for url in root.findall("s:url", ns))


def test_postgres_downgrade_removes_the_index_and_upgrade_backfills(pg_app):
    from flask_migrate import downgrade, upgrade

    with pg_app.app_context():
        downgrade(revision="0001_initial")
        leftovers = db.session.execute(
            text(
                "SELECT count(*) FROM pg_proc WHERE proname LIKE 'post_search%' "
                "AND pronamespace = current_schema()::regnamespace"
            )
        ).scalar()
        assert leftovers == 0
    add(pg_app, "Written before search", body="Quokkas crossed the square.", tags=["Wildlife"])
    with pg_app.app_context():
        upgrade()
    client = pg_app.test_client()
    assert titles(client.get("/search?q=quokkas")) == ["Written before search"]
    assert titles(client.get("/search?q=wildlife")) == ["Written before search"]


def test_postgres_bulk_insert_is_indexed_at_commit(pg_app):
    from sqlalchemy import insert

    from blog.models import KeyPoint, Post

    now = clock.now() - timedelta(minutes=1)
    with pg_app.app_context():
        rows = [
            {
                "id": n,
                "title": f"Bulk {n}",
                "slug": f"bulk-{n}",
                "body": "Plain.",
                "body_html": "<p>Plain.</p>",
                "status": "published",
                "published_at": now,
                "created_at": now,
                "modified_at": now,
            }
            for n in range(1, 51)
        ]
        db.session.execute(insert(Post), rows)
        points = [{"post_id": n, "position": 0, "text": f"Walrus {n}"} for n in range(1, 51)]
        db.session.execute(insert(KeyPoint), points)
        db.session.commit()
        assert db.session.execute(text("SELECT count(*) FROM post_search_dirty")).scalar() == 0
        assert db.session.execute(text("SELECT count(*) FROM post_search")).scalar() == 50
    assert len(titles(pg_app.test_client().get("/search?q=walrus&page=5"))) == 10
