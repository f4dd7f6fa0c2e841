"""The sitemap, read with an XML parser, and robots.txt."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from discovery_helpers import add_note

from blog import clock

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def read_sitemap(client) -> dict[str, str | None]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.data)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    entries = {}
    for url in root.findall("s:url", NS):
        lastmod = url.find("s:lastmod", NS)
        entries[url.find("s:loc", NS).text] = lastmod.text if lastmod is not None else None
    return entries


def test_sitemap_lists_public_posts_and_tag_pages_only(client, add_post):
    add_post("Bridge story", tags=["Transport"], published_at=datetime(2026, 5, 2, tzinfo=UTC))
    add_post("Draft story", tags=["Secret"], status="draft", published_at=None)
    add_post("Future story", status="scheduled", published_at=clock.now() + timedelta(hours=1))
    entries = read_sitemap(client)
    assert set(entries) == {
        "http://localhost/",
        "http://localhost/posts/bridge-story",
        "http://localhost/tags/transport",
    }
    assert entries["http://localhost/posts/bridge-story"] == "2026-05-02T00:00:00Z"
    assert entries["http://localhost/tags/transport"] == "2026-05-02T00:00:00Z"

    clock.advance(2 * 3600)
    assert "http://localhost/posts/future-story" in read_sitemap(client)


def test_lastmod_follows_the_substantive_update(app, client, add_post):
    slug = add_post("Bridge story", tags=["Transport"])
    published = read_sitemap(client)[f"http://localhost/posts/{slug}"]
    clock.advance(3600)
    add_note(app, slug, "The vote count was wrong.")
    entries = read_sitemap(client)
    updated = entries[f"http://localhost/posts/{slug}"]
    assert updated > published
    assert entries["http://localhost/tags/transport"] == updated
    assert entries["http://localhost/"] == updated


def test_sitemap_uses_the_configured_base_url_and_answers_304(make_app):
    app = make_app(SITE_URL="https://news.example.org")
    from blog.articles import create_post
    from blog.extensions import db

    with app.app_context():
        create_post(title="A story", body="x", published_at=clock.now() - timedelta(1))
        db.session.commit()
    client = app.test_client()
    assert "https://news.example.org/posts/a-story" in read_sitemap(client)
    etag = client.get("/sitemap.xml").headers["ETag"]
    assert client.get("/sitemap.xml", headers={"If-None-Match": etag}).status_code == 304


def test_empty_site_has_a_valid_sitemap(client):
    assert read_sitemap(client) == {"http://localhost/": None}


def test_robots_txt_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    lines = response.get_data(as_text=True).splitlines()
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines


def test_a_large_site_gets_a_sitemap_index_of_files_within_the_limit(make_app):
    app = make_app(SITEMAP_URLS_PER_FILE=3)
    from blog.articles import create_post
    from blog.extensions import db

    with app.app_context():
        for n in range(7):
            create_post(
                title=f"Story {n}",
                body="x",
                tags=["Town"],
                published_at=clock.now() - timedelta(hours=n + 1),
            )
        db.session.commit()
    client = app.test_client()
    index = ET.fromstring(client.get("/sitemap.xml").data)
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    files = [loc.text for loc in index.findall("s:sitemap/s:loc", NS)]
    assert files == [
        "http://localhost/sitemap-pages.xml",
        "http://localhost/sitemap-posts-1.xml",
        "http://localhost/sitemap-posts-2.xml",
        "http://localhost/sitemap-posts-3.xml",
    ]
    seen: list[str] = []
    for address in files:
        root = ET.fromstring(client.get(address.removeprefix("http://localhost")).data)
        urls = [loc.text for loc in root.findall("s:url/s:loc", NS)]
        assert 1 <= len(urls) <= 3
        seen += urls
    assert sorted(seen) == sorted(
        ["http://localhost/", "http://localhost/tags/town"]
        + [f"http://localhost/posts/story-{n}" for n in range(7)]
    )
    assert client.get("/sitemap-posts-4.xml").status_code == 404
    assert client.get("/sitemap-posts-0.xml").status_code == 404
