"""The article page cache: same HTML as a fresh render, never stale, never shares a reader's own.

Every test reads the page twice or more so the second view comes from the cache.
"""

import re
from datetime import timedelta

from conftest import REPLY_DEFAULTS, reply_form_fields
from sqlalchemy import select

from blog import clock
from blog.articles import create_post
from blog.extensions import db
from blog.models import KeyPoint, Post, Reply, Tag
from blog.rendering import render_reply_text

TOKENS = re.compile(r'(name="(?:csrf_token|form_token)"[^>]*value=")[^"]*(")')


def without_tokens(html: str) -> str:
    """The page with its per-request tokens blanked, for comparing two renders."""
    return TOKENS.sub(r"\1\2", html)


def add_reply(app, slug: str, body: str, status: str = "approved", parent=None, at=None) -> int:
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == slug))
        reply = Reply(
            post_id=post.id,
            parent_id=parent,
            depth=2 if parent else 1,
            name="Ana",
            email="ana@example.com",
            body=body,
            body_html=render_reply_text(body),
            status=status,
            created_at=at or clock.now(),
        )
        db.session.add(reply)
        db.session.commit()
        return reply.id


def test_cached_page_is_the_same_html_as_a_fresh_render(make_app) -> None:
    cached = make_app()
    fresh = make_app(PAGE_CACHE=False)
    moment = clock.now() - timedelta(hours=1)
    pages = {}
    for name, app in (("cached", cached), ("fresh", fresh)):
        with app.app_context():
            create_post(
                title="Council approves footbridge",
                body="Text.",
                tags=["Council"],
                key_points=["The vote was 5-2."],
                published_at=moment,
            )
            db.session.commit()
        slug = "council-approves-footbridge"
        first = add_reply(app, slug, "First reply, https://example.com/a link.", at=moment)
        add_reply(app, slug, "An answer to it.", parent=first, at=moment)
        client = app.test_client()
        client.get(f"/posts/{slug}")
        pages[name] = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "An answer to it." in pages["cached"]
    assert 'id="reply-form"' in pages["cached"]
    assert without_tokens(pages["cached"]) == without_tokens(pages["fresh"])


def test_each_view_gets_its_own_form_tokens(client, rich_post) -> None:
    first = client.get(f"/posts/{rich_post}").get_data(as_text=True)
    second = client.get(f"/posts/{rich_post}").get_data(as_text=True)
    stamp = re.compile(r'name="form_token"[^>]*value="([^"]+)"')
    assert stamp.search(first).group(1) != stamp.search(second).group(1)


def test_approving_a_reply_shows_it_at_once(app, client, rich_post) -> None:
    reply_id = add_reply(app, rich_post, "Held for a moment.", status="pending")
    assert "Held for a moment." not in client.get(f"/posts/{rich_post}").get_data(as_text=True)
    with app.app_context():
        db.session.get(Reply, reply_id).status = "approved"
        db.session.commit()
    page = client.get(f"/posts/{rich_post}").get_data(as_text=True)
    assert "Held for a moment." in page
    assert "1 reply" in page


def test_trashing_and_editing_replies_and_parts_show_at_once(app, client, rich_post) -> None:
    reply_id = add_reply(app, rich_post, "Original words.")
    assert "Original words." in client.get(f"/posts/{rich_post}").get_data(as_text=True)
    with app.app_context():
        reply = db.session.get(Reply, reply_id)
        reply.body_html = render_reply_text("Edited words.")
        post = db.session.scalar(select(Post).where(Post.slug == rich_post))
        db.session.add(KeyPoint(post_id=post.id, position=9, text="A point added later."))
        db.session.commit()
    page = client.get(f"/posts/{rich_post}").get_data(as_text=True)
    assert "Edited words." in page and "Original words." not in page
    assert "A point added later." in page
    with app.app_context():
        db.session.get(Reply, reply_id).status = "trash"
        db.session.scalar(select(Tag).where(Tag.name == "Council")).name = "City Council"
        db.session.commit()
    page = client.get(f"/posts/{rich_post}").get_data(as_text=True)
    assert "Edited words." not in page
    assert "City Council" in page


def test_own_pending_reply_is_shown_to_its_author_only(make_app, send_reply) -> None:
    app = make_app(REPLY_MODERATION="all")
    with app.app_context():
        create_post(title="Library hours", body="Text.", published_at=clock.now())
        db.session.commit()
    author, other = app.test_client(), app.test_client()
    other.get("/posts/library-hours")  # the shared page is now cached
    sent = send_reply("library-hours", the_client=author, body="Please open on Sundays.")
    assert sent.status_code == 303
    mine = author.get("/posts/library-hours").get_data(as_text=True)
    assert "Please open on Sundays." in mine
    assert "awaiting moderation" in mine
    assert "Edit or withdraw" in mine
    theirs = other.get("/posts/library-hours").get_data(as_text=True)
    assert "Please open on Sundays." not in theirs
    assert "awaiting moderation" not in theirs
    assert "Edit or withdraw" not in theirs


def test_closed_replies_page_has_no_form(app, client, add_post) -> None:
    slug = add_post("Closed story", replies_open=False)
    for _ in range(2):
        page = client.get(f"/posts/{slug}").get_data(as_text=True)
        assert "Replies are closed." in page
        assert 'id="reply-form"' not in page


def test_front_page_count_follows_new_and_due_posts(app, client, add_post) -> None:
    app.config["POSTS_PER_PAGE"] = 2
    for n in range(4):
        add_post(f"Story {n}")
    assert "Page 1 of 2" in client.get("/").get_data(as_text=True)
    add_post("Scheduled story", status="scheduled", published_at=clock.now() + timedelta(hours=1))
    assert "Page 1 of 2" in client.get("/").get_data(as_text=True)
    assert client.get("/?page=3").status_code == 404
    clock.advance(2 * 3600)  # the scheduled story comes due: no write, yet the count moves
    assert "Page 1 of 3" in client.get("/").get_data(as_text=True)
    assert client.get("/?page=3").status_code == 200
    add_post("Story 4")
    add_post("Story 5")
    assert "Page 1 of 4" in client.get("/").get_data(as_text=True)
    assert client.get("/?page=4").status_code == 200
    assert client.get("/?page=5").status_code == 404


def test_tag_page_count_follows_tagging(app, client, add_post) -> None:
    app.config["POSTS_PER_PAGE"] = 1
    add_post("First", tags=["Schools"])
    assert "Page 1 of" not in client.get("/tags/schools").get_data(as_text=True)
    add_post("Second", tags=["Schools"])
    assert "Page 1 of 2" in client.get("/tags/schools").get_data(as_text=True)
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == "second"))
        post.tags = []
        db.session.commit()
    assert "Page 1 of" not in client.get("/tags/schools").get_data(as_text=True)
    assert client.get("/tags/schools?page=2").status_code == 404


def test_cached_form_carries_each_readers_own_working_csrf_token(make_app) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_post(title="Bus routes", body="Text.", published_at=clock.now())
        db.session.commit()
    first, second = app.test_client(), app.test_client()
    first.get("/posts/bus-routes")  # fills the cache
    tokens = {}
    for name, reader in (("first", first), ("second", second)):
        fields = reply_form_fields(reader.get("/posts/bus-routes").get_data(as_text=True))
        tokens[name] = fields["csrf_token"]
        sent = reader.post(
            "/posts/bus-routes/replies",
            data={**fields, **REPLY_DEFAULTS, "email": f"{name}@example.com", "body": name * 3},
        )
        assert sent.status_code == 303, sent.get_data(as_text=True)[:500]
    assert tokens["first"] != tokens["second"]
    assert "slot" not in tokens["first"]
    stale = reply_form_fields(first.get("/posts/bus-routes").get_data(as_text=True))
    refused = second.post(
        "/posts/bus-routes/replies",
        data={**stale, **REPLY_DEFAULTS, "csrf_token": tokens["first"], "body": "x" * 5},
    )
    assert refused.status_code == 400


def test_cached_front_and_tag_pages_follow_edits_and_renames(app, client, add_post) -> None:
    add_post("Ferry timetable changes", tags=["Transport"])
    for path in ("/", "/tags/transport"):
        assert "Ferry timetable changes" in client.get(path).get_data(as_text=True)
        assert "Ferry timetable changes" in client.get(path).get_data(as_text=True)  # cached
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == "ferry-timetable-changes"))
        post.title = "Ferry timetable changes again"
        db.session.scalar(select(Tag).where(Tag.name == "Transport")).name = "Getting around"
        db.session.commit()
    for path in ("/", "/tags/transport"):
        page = client.get(path).get_data(as_text=True)
        assert "Ferry timetable changes again" in page
        assert "Getting around" in page
    add_post("Night buses return", tags=["Transport"])
    assert "Night buses return" in client.get("/").get_data(as_text=True)
    assert "Night buses return" in client.get("/tags/transport").get_data(as_text=True)


def test_a_setting_changed_at_run_time_is_never_served_stale(app, client, add_post) -> None:
    add_post("Library hours")
    assert "The Riverside Ledger" in client.get("/").get_data(as_text=True)
    app.config["SITE_NAME"] = "The Alder Valley Courier"
    page = client.get("/").get_data(as_text=True)
    assert "The Alder Valley Courier" in page and "The Riverside Ledger" not in page


def test_hidden_posts_stay_hidden_on_the_cached_path(app, client, add_post) -> None:
    draft = add_post("Draft story", status="draft")
    later = add_post(
        "Embargoed story", status="scheduled", published_at=clock.now() + timedelta(hours=1)
    )
    shown = add_post("Shown story")
    for _ in range(2):
        assert client.get(f"/posts/{shown}").status_code == 200
        assert client.get(f"/posts/{draft}").status_code == 404
        assert client.get(f"/posts/{later}").status_code == 404
        assert client.get("/posts/no-such-story").status_code == 404
    clock.advance(2 * 3600)
    assert "Embargoed story" in client.get(f"/posts/{later}").get_data(as_text=True)
