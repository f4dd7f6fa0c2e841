"""Reader pages: the front page, articles, tags, visibility and the health check."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import make_url, update

from blog import clock, create_app
from blog.extensions import db
from blog.models import Post
from tests.conftest import DATABASE_URL, ON_POSTGRES


def titles_on(html: str) -> list[str]:
    return re.findall(r'<h2 class="summary-title"><a href="[^"]+">([^<]+)</a>', html)


def test_front_page_lists_newest_first_ten_a_page(client, add_post):
    for n in range(23):
        add_post(f"Story number {n:02d}", published_at=clock.now() - timedelta(hours=100 - n))
    first = client.get("/")
    assert first.status_code == 200
    shown = titles_on(first.get_data(as_text=True))
    assert shown == [f"Story number {n:02d}" for n in range(22, 12, -1)]
    third = client.get("/?page=3").get_data(as_text=True)
    assert titles_on(third) == ["Story number 02", "Story number 01", "Story number 00"]
    assert 'rel="prev"' in third and 'rel="next"' not in third
    assert client.get("/?page=4").status_code == 404


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999999999999999"])
def test_bad_page_numbers_are_not_found(client, add_post, page):
    add_post()
    assert client.get(f"/?page={page}").status_code == 404


def test_empty_site_front_page_says_so(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Nothing has been published yet" in response.get_data(as_text=True)


def test_article_page_carries_every_part(client, rich_post):
    response = client.get(f"/posts/{rich_post}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<h1") == 1
    assert re.search(r"<h1[^>]*>Council approves footbridge</h1>", html)
    assert "By Mara Okafor" in html
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00">', html)
    assert '<h2 id="key-points-title">Key points</h2>' in html
    assert "<li>The vote was 5-2.</li>" in html
    assert '<h2 id="contradictions-title">Contradictions</h2>' in html
    assert "Costs differ between the two documents." in html
    assert '<h2 id="sources-title">Sources</h2>' in html
    assert 'href="https://example.com/minutes"' in html
    assert 'href="/tags/council"' in html
    assert "Leave a Reply" in html
    assert "Your email address will not be published. Required fields are marked" in html
    assert '<form id="reply-form" method="post" action="/posts/' + rich_post + '/replies"' in html


def test_article_without_contradictions_has_no_such_section(client, add_post):
    slug = add_post("Plain story")
    html = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "Contradictions" not in html
    assert "Key points" not in html


def test_drafts_and_unknown_slugs_are_not_found(client, add_post):
    draft = add_post("Unfinished", status="draft", published_at=None)
    assert client.get(f"/posts/{draft}").status_code == 404
    assert client.get("/posts/no-such-story").status_code == 404
    assert "Unfinished" not in client.get("/").get_data(as_text=True)


def test_scheduled_post_appears_by_itself_when_due(client, add_post):
    slug = add_post(
        "Tomorrow's story", status="scheduled", published_at=clock.now() + timedelta(minutes=30)
    )
    assert client.get(f"/posts/{slug}").status_code == 404
    assert "Tomorrow&#39;s story" not in client.get("/").get_data(as_text=True)
    clock.advance(31 * 60)
    assert client.get(f"/posts/{slug}").status_code == 200
    assert "Tomorrow&#39;s story" in client.get("/").get_data(as_text=True)


def test_tag_page_lists_only_tagged_public_posts(client, add_post):
    add_post("Tagged one", tags=["Council"])
    add_post("Untagged one")
    add_post("Tagged draft", tags=["Council"], status="draft", published_at=None)
    response = client.get("/tags/council")
    assert response.status_code == 200
    assert titles_on(response.get_data(as_text=True)) == ["Tagged one"]
    assert client.get("/tags/nothing-here").status_code == 404
    assert client.get("/tags/council?page=2").status_code == 404


def test_healthz_answers_ok_then_503_when_database_is_gone(app, client, tmp_path):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == "ok"
    # An app whose database cannot be reached: a SQLite file in a folder that does not exist,
    # or on the PostgreSQL run a database the server does not have.
    if ON_POSTGRES:
        gone = make_url(DATABASE_URL).set(database="blog_test_no_such_database")
        uri = gone.render_as_string(hide_password=False)
    else:
        uri = f"sqlite:///{tmp_path}/missing/dir/blog.sqlite"
    bad = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / "other"),
            "SQLALCHEMY_DATABASE_URI": uri,
        }
    )
    assert bad.test_client().get("/healthz").status_code == 503


@pytest.mark.parametrize(
    "path",
    [
        "/posts/nul%00byte",  # PostgreSQL refuses NUL in text: a 500 there, not a miss
        "/tags/%00",
        "/replies/2147483648/edit",  # one past PostgreSQL's integer
        "/replies/99999999999999999999/edit",
        "/archive/2147483648/1",
    ],
)
def test_addresses_no_database_row_can_have_are_404(client, add_post, path):
    add_post("Bridge vote passes", tags=["Council"])
    response = client.get(path)
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


def test_post_unpublished_after_the_fact_disappears(app, client, add_post):
    slug = add_post("Pulled story")
    assert client.get(f"/posts/{slug}").status_code == 200
    with app.app_context():
        db.session.execute(update(Post).where(Post.slug == slug).values(status="draft"))
        db.session.commit()
    assert client.get(f"/posts/{slug}").status_code == 404
