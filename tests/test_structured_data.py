"""NewsArticle and NewsMediaOrganization JSON-LD, sharing tags and the monthly archive."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from discovery_helpers import EMAIL_PATTERN, add_note, json_ld, meta_values, parse_head

from blog import clock

OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def article(client, slug: str) -> str:
    response = client.get(f"/posts/{slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def news_article(html: str) -> dict:
    blocks = [b for b in json_ld(html) if b.get("@type") == "NewsArticle"]
    assert len(blocks) == 1
    return blocks[0]


@pytest.fixture
def story(add_post) -> str:
    return add_post(
        "Council approves footbridge",
        dek="A five-to-two vote ends a long debate.",
        dateline="ALDER FALLS",
        byline="Mara Okafor and Tom Reyes",
        tags=["Council", "Transport"],
        key_points=["The vote was 5-2.", "Work starts in spring."],
        sources=[("Minutes", "https://example.com/minutes")],
        published_at=datetime(2026, 3, 14, 18, 30, tzinfo=UTC),
    )


def test_news_article_json_ld_carries_the_required_properties(client, story):
    data = news_article(article(client, story))
    assert data["@context"] == "https://schema.org"
    assert data["headline"] == "Council approves footbridge"
    assert data["description"] == "A five-to-two vote ends a long debate."
    assert data["datePublished"] == "2026-03-14T18:30:00+00:00"
    assert OFFSET.match(data["dateModified"])
    assert data["dateModified"] == data["datePublished"]
    assert [a["name"] for a in data["author"]] == ["Mara Okafor", "Tom Reyes"]
    assert all(a["@type"] == "Person" for a in data["author"])
    assert data["dateline"] == "ALDER FALLS"
    assert data["articleSection"] == "Council"
    assert data["keywords"] == ["Council", "Transport"]
    assert data["publisher"]["@type"] == "NewsMediaOrganization"
    assert data["publisher"]["name"] == "The Riverside Ledger"
    assert data["url"] == data["mainEntityOfPage"]["@id"] == f"http://localhost/posts/{story}"
    assert data["citation"] == [
        {"@type": "CreativeWork", "name": "Minutes", "url": "https://example.com/minutes"}
    ]
    assert "correction" not in data


def test_description_falls_back_to_key_points_and_author_to_the_newsroom(client, add_post):
    slug = add_post("No dek here", key_points=["First point.", "Second point."])
    data = news_article(article(client, slug))
    assert data["description"] == "First point. Second point."
    assert data["author"][0]["@type"] == "NewsMediaOrganization"
    assert data["author"][0]["name"] == "The Riverside Ledger"


def test_corrections_appear_and_move_date_modified(app, client, story):
    clock.advance(60)
    add_note(app, story, "An earlier version gave the wrong vote count.")
    add_note(app, story, "Work will start in April.", kind="Update")
    data = news_article(article(client, story))
    assert [c["@type"] for c in data["correction"]] == ["CorrectionComment"]
    assert "wrong vote count" in data["correction"][0]["text"]
    assert OFFSET.match(data["correction"][0]["datePublished"])
    assert data["dateModified"] > data["datePublished"]


def test_dates_carry_the_newsroom_offset(make_app, add_post):
    app = make_app(TIMEZONE="America/New_York")
    from blog.articles import create_post
    from blog.extensions import db

    with app.app_context():
        create_post(
            title="Winter story",
            body="Snow.",
            published_at=datetime(2026, 1, 10, 15, 0, tzinfo=UTC),
        )
        db.session.commit()
    data = news_article(app.test_client().get("/posts/winter-story").get_data(as_text=True))
    assert data["datePublished"] == "2026-01-10T10:00:00-05:00"


def test_no_email_in_json_ld_even_in_a_byline(client, add_post, send_reply):
    slug = add_post("Desk story", byline="desk@example.org")
    send_reply(slug, email="reader.one@example.com")
    html = article(client, slug)
    for block in parse_head(html).scripts:
        assert EMAIL_PATTERN.search(block) is None


def test_json_ld_cannot_break_out_of_its_script_element(client, add_post):
    title = "Tolls </script><script>alert(1)</script> & more"
    slug = add_post(title)
    html = article(client, slug)
    assert "</script><script>alert(1)" not in html
    assert news_article(html)["headline"] == title


def test_sharing_tags_and_canonical_link(client, story):
    html = article(client, story)
    canonical = [link["href"] for link in parse_head(html).links if link.get("rel") == "canonical"]
    assert canonical == [f"http://localhost/posts/{story}"]
    assert meta_values(html, "og:type") == ["article"]
    assert meta_values(html, "og:title") == ["Council approves footbridge"]
    assert meta_values(html, "og:url") == [f"http://localhost/posts/{story}"]
    assert meta_values(html, "article:published_time") == ["2026-03-14T18:30:00+00:00"]
    assert meta_values(html, "article:modified_time") == ["2026-03-14T18:30:00+00:00"]
    assert meta_values(html, "article:author") == ["Mara Okafor", "Tom Reyes"]
    assert meta_values(html, "article:section") == ["Council"]
    assert meta_values(html, "article:tag") == ["Council", "Transport"]
    assert meta_values(html, "twitter:card") == ["summary"]
    assert meta_values(html, "twitter:title") == ["Council approves footbridge"]


def test_configured_base_url_and_logo_are_used(make_app):
    app = make_app(SITE_URL="https://news.example.org/", SITE_LOGO="/static/logo.png")
    from blog.articles import create_post
    from blog.extensions import db

    with app.app_context():
        create_post(title="Logo story", body="Text.", published_at=clock.now() - timedelta(1))
        db.session.commit()
    client = app.test_client()
    data = news_article(client.get("/posts/logo-story").get_data(as_text=True))
    assert data["url"] == "https://news.example.org/posts/logo-story"
    assert data["publisher"]["logo"]["url"] == "https://news.example.org/static/logo.png"

    front = [b for b in json_ld(client.get("/").get_data(as_text=True))]
    organization = [b for b in front if b["@type"] == "NewsMediaOrganization"]
    assert organization == [
        {
            "@context": "https://schema.org",
            "@type": "NewsMediaOrganization",
            "name": "The Riverside Ledger",
            "url": "https://news.example.org/",
            "logo": {"@type": "ImageObject", "url": "https://news.example.org/static/logo.png"},
            "description": "Local news, checked twice, from a small newsroom.",
        }
    ]


def test_front_page_names_the_newsroom_without_a_logo_by_default(client, add_post):
    add_post("Some story")
    blocks = json_ld(client.get("/").get_data(as_text=True))
    assert [b["@type"] for b in blocks] == ["NewsMediaOrganization"]
    assert blocks[0]["name"] == "The Riverside Ledger"
    assert blocks[0]["url"] == "http://localhost/"
    assert "logo" not in blocks[0]


def test_article_date_links_to_its_month_in_the_archive(client, story, add_post):
    add_post("Older story", published_at=datetime(2026, 2, 27, 9, 0, tzinfo=UTC))
    add_post("Later story", published_at=datetime(2026, 4, 1, 9, 0, tzinfo=UTC))
    html = article(client, story)
    assert re.search(r'<a href="/archive/2026/3"[^>]*><time datetime="2026-03-14', html)

    month = client.get("/archive/2026/3")
    assert month.status_code == 200
    page = month.get_data(as_text=True)
    assert "Published in March 2026" in page
    assert "Council approves footbridge" in page
    assert "Older story" not in page and "Later story" not in page
    assert 'href="/archive/2026/2"' in page and 'href="/archive/2026/4"' in page

    index = client.get("/archive").get_data(as_text=True)
    assert index.index("April 2026") < index.index("March 2026") < index.index("February 2026")


@pytest.mark.parametrize("path", ["/archive/2026/13", "/archive/2026/0", "/archive/1999/5"])
def test_impossible_or_empty_months_are_404(client, story, path):
    assert client.get(path).status_code == 404


def test_archive_months_follow_the_newsroom_time_zone(make_app):
    app = make_app(TIMEZONE="America/New_York")
    from blog.articles import create_post
    from blog.extensions import db

    with app.app_context():
        # 02:00 UTC on April 1st is still March 31st in New York.
        create_post(title="Late night", body="x", published_at=datetime(2026, 4, 1, 2, tzinfo=UTC))
        db.session.commit()
    client = app.test_client()
    assert "Late night" in client.get("/archive/2026/3").get_data(as_text=True)
    assert client.get("/archive/2026/4").status_code == 404
