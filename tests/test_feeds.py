"""Atom feeds, read the way feed readers read them: with feedparser."""

import re
from datetime import timedelta

import feedparser
import pytest
from discovery_helpers import EMAIL_PATTERN, add_note, edit_post, parse_head

from blog import clock
from blog.extensions import db
from blog.models import Reply
from blog.rendering import render_reply_text


def parse(response) -> feedparser.FeedParserDict:
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def reply_id(response) -> int:
    assert response.status_code == 303, response.status_code
    return int(re.search(r"#reply-(\d+)$", response.headers["Location"]).group(1))


def test_site_feed_holds_the_twenty_newest_posts_in_full(client, add_post):
    for n in range(22):
        add_post(
            f"Story number {n}",
            body=f"Paragraph of story {n}.\n\nSecond paragraph with **bold** words.",
            key_points=[f"Point of story {n}"],
            published_at=clock.now() - timedelta(hours=30 - n),
        )
    feed = parse(client.get("/feed.xml"))

    assert feed.feed.title == "The Riverside Ledger"
    assert [e.title for e in feed.entries] == [f"Story number {n}" for n in range(21, 1, -1)]
    newest = feed.entries[0]
    assert newest.link == "http://localhost/posts/story-number-21"
    html = newest.content[0].value
    assert "Second paragraph with <strong>bold</strong> words." in html
    assert "Point of story 21" in html
    assert feed.feed.links[0].rel in ("self", "alternate")
    assert any(link.rel == "self" for link in feed.feed.links)


def test_drafts_and_future_posts_stay_out_until_due(client, add_post):
    add_post("Published story")
    add_post("Draft story", status="draft", published_at=None)
    add_post("Scheduled story", status="scheduled", published_at=clock.now() + timedelta(hours=2))

    titles = [e.title for e in parse(client.get("/feed.xml")).entries]
    assert titles == ["Published story"]

    clock.advance(3 * 3600)
    titles = [e.title for e in parse(client.get("/feed.xml")).entries]
    assert titles == ["Scheduled story", "Published story"]


def test_entry_id_survives_edits_and_updated_follows_notes_only(app, client, add_post):
    slug = add_post("Council votes on bridge", body="First version.")
    before = parse(client.get("/feed.xml")).entries[0]
    assert before.id.startswith("tag:localhost,")

    clock.advance(600)
    edit_post(app, slug, title="Council approves bridge", slug="council-approves-bridge")
    edit_post(app, "council-approves-bridge", body="Second version, typo fixed.")
    edited = parse(client.get("/feed.xml")).entries[0]
    assert edited.title == "Council approves bridge"
    assert "Second version" in edited.content[0].value
    assert edited.id == before.id
    assert edited.updated == before.updated  # a plain edit is not a substantive update

    clock.advance(600)
    add_note(app, "council-approves-bridge", "The vote was 5-2, not 6-1.")
    corrected = parse(client.get("/feed.xml")).entries[0]
    assert corrected.id == before.id
    assert corrected.updated_parsed > before.updated_parsed
    assert corrected.published == before.published
    assert "The vote was 5-2, not 6-1." in corrected.content[0].value


def test_tag_feed_lists_only_that_tag(client, add_post):
    add_post("Bridge story", tags=["Transport"])
    add_post("Library story", tags=["Culture"])
    feed = parse(client.get("/tags/transport/feed.xml"))
    assert [e.title for e in feed.entries] == ["Bridge story"]
    assert [t.term for t in feed.entries[0].tags] == ["transport"]
    assert [t.scheme + t.term for t in feed.entries[0].tags] == ["http://localhost/tags/transport"]
    assert "Transport" in feed.feed.title
    assert client.get("/tags/nothing-here/feed.xml").status_code == 404


def test_replies_feed_has_approved_replies_and_says_whom_they_answer(app, client, send_reply):
    from blog.articles import create_post

    with app.app_context():
        create_post(title="Bridge vote", body="Body.", published_at=clock.now() - timedelta(1))
        db.session.commit()
    first = reply_id(send_reply("bridge-vote", name="Ana Ruiz", body="I walk there daily."))
    clock.advance(60)
    second = reply_id(
        send_reply(
            "bridge-vote",
            name="Ben Cole",
            email="ben.cole@example.com",
            body="So do I, Ana.",
            parent_id=str(first),
        )
    )
    with app.app_context():
        db.session.add(
            Reply(
                post_id=1,
                name="Held Back",
                email="held@example.com",
                body="Pending words",
                body_html=render_reply_text("Pending words"),
                status="pending",
            )
        )
        db.session.commit()

    response = client.get("/posts/bridge-vote/replies.xml")
    feed = parse(response)
    assert [e.author for e in feed.entries] == ["Ben Cole", "Ana Ruiz"]
    answer = feed.entries[0]
    assert answer.title == "Ben Cole replied to Ana Ruiz"
    assert "In reply to" in answer.content[0].value and "Ana Ruiz" in answer.content[0].value
    assert answer.link == f"http://localhost/posts/bridge-vote#reply-{second}"
    assert feed.entries[1].title == "Ana Ruiz replied"
    text = response.get_data(as_text=True)
    assert "Pending words" not in text
    assert EMAIL_PATTERN.search(text) is None
    assert client.get("/posts/no-such-post/replies.xml").status_code == 404


def test_replies_feed_of_unpublished_post_is_404(client, add_post):
    add_post("Draft", status="draft", published_at=None)
    assert client.get("/posts/draft/replies.xml").status_code == 404


def test_no_email_in_any_feed_even_when_typed_as_a_name(client, add_post, send_reply):
    slug = add_post("Story with a byline", byline="desk@example.org", tags=["Town"])
    send_reply(slug, name="me@example.com", email="me@example.com")
    for url in ("/feed.xml", "/tags/town/feed.xml", f"/posts/{slug}/replies.xml"):
        response = client.get(url)
        parse(response)
        text = response.get_data(as_text=True)
        assert EMAIL_PATTERN.search(text) is None, url


def test_feeds_answer_304_to_conditional_requests(client, add_post):
    add_post("First story")
    first = client.get("/feed.xml")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]

    again = client.get("/feed.xml", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    since = client.get("/feed.xml", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304

    add_post("Second story")
    changed = client.get("/feed.xml", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert [e.title for e in parse(changed).entries] == ["Second story", "First story"]


@pytest.mark.parametrize("path", ["/", "/posts/bridge-story", "/tags/transport"])
def test_every_page_links_its_feeds_for_autodiscovery(client, add_post, path):
    add_post("Bridge story", tags=["Transport"])
    html = client.get(path).get_data(as_text=True)
    feeds = [
        link["href"]
        for link in parse_head(html).links
        if link.get("rel") == "alternate" and link.get("type") == "application/atom+xml"
    ]
    assert "/feed.xml" in feeds
    if path.startswith("/tags/"):
        assert "/tags/transport/feed.xml" in feeds
    if path.startswith("/posts/"):
        assert "/posts/bridge-story/replies.xml" in feeds
    for href in feeds:
        parse(client.get(href))


def test_characters_xml_forbids_do_not_break_the_feed(client, add_post):
    add_post("Odd \x0bcharacters", body="A form feed \x0c and a bell \x07 in the text.")
    feed = parse(client.get("/feed.xml"))
    assert feed.entries[0].title == "Odd characters"
    assert "a bell  in the text" in feed.entries[0].content[0].value


def test_a_cached_feed_follows_every_change_it_shows(app, client, add_post):
    """Feeds come from the page cache; each change below must show at the very next fetch."""
    from blog.models import KeyPoint, Post, Tag

    slug = add_post("Harbour wall repaired", tags=["Transport"], key_points=["Work took a week"])
    first = parse(client.get("/feed.xml")).entries[0]
    assert parse(client.get("/feed.xml")).entries[0].content[0].value == first.content[0].value

    with app.app_context():
        post = db.session.scalar(db.select(Post).where(Post.slug == slug))
        db.session.add(KeyPoint(post_id=post.id, position=2, text="Cost stayed on budget"))
        db.session.commit()
    assert "Cost stayed on budget" in parse(client.get("/feed.xml")).entries[0].content[0].value

    with app.app_context():
        db.session.scalar(db.select(Tag).where(Tag.slug == "transport")).name = "Roads and rail"
        db.session.commit()
    entry = parse(client.get("/feed.xml")).entries[0]
    assert [t.label for t in entry.tags] == ["Roads and rail"]
    assert "Roads and rail" in parse(client.get("/tags/transport/feed.xml")).feed.title

    app.config["SITE_NAME"] = "The Harbour Gazette"
    assert parse(client.get("/feed.xml")).feed.title == "The Harbour Gazette"
