"""Imports and exports: the wire article as a desk upload, WordPress (WXR) files run twice,
and the JSON export with and without readers' emails."""

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from desk_support import make_user, sign_in

from blog.extensions import db
from blog.models import Post, Reply
from blog.wxr import html_to_markdown, html_to_text, parse_wxr

WXR = Path(__file__).parent / "data" / "sample-wxr.xml"

WIRE_TEXT = """Harbour dredging to start in March

The port authority said dredging would begin in March.Work will take six weeks.

Key points
- Dredging starts in March.
- The work lasts six weeks.

Leave a Reply
Your email address will not be published.
"""


@pytest.fixture
def desk(app, client):
    make_user(app, "mara")
    assert sign_in(client, "mara").status_code == 303
    return client


def test_wire_upload_becomes_a_draft(desk, app):
    response = desk.post(
        "/admin/import",
        data={"file": (io.BytesIO(WIRE_TEXT.encode()), "wire.txt"), "tags": "Harbour"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    editor = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="Harbour dredging to start in March"' in editor
    assert "Dredging starts in March.\nThe work lasts six weeks." in editor
    assert "in March.\n\nWork will take six weeks." in editor  # the lost break restored
    assert "Leave a Reply" not in editor.split('id="editor"')[1].split("</form>")[0]
    with app.app_context():
        post = db.session.scalar(db.select(Post))
        assert post.status == "draft" and [t.name for t in post.tags] == ["Harbour"]
    assert desk.get(f"/posts/{post.slug}").status_code == 404


def test_wire_paste_and_empty_form(desk):
    assert desk.post("/admin/import", data={"text": WIRE_TEXT}).status_code == 303
    empty = desk.post("/admin/import", data={"text": "  "})
    assert empty.status_code == 422
    assert "Choose a file or paste the article." in empty.get_data(as_text=True)


def test_wire_upload_that_is_not_text(desk, app):
    response = desk.post(
        "/admin/import",
        data={"file": (io.BytesIO(b"\xff\xfe\x00binary"), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "The file is not UTF-8 text." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_wire_upload_with_the_seed_article(desk, seed_text):
    response = desk.post(
        "/admin/import",
        data={"file": (io.BytesIO(seed_text.encode()), "seed.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303


def run_import(app, path: Path = WXR):
    return app.test_cli_runner().invoke(args=["import-wxr", str(path)])


def test_wxr_import_keeps_dates_authors_tags_and_threads(app):
    make_user(app, "mara")
    result = run_import(app)
    assert result.exit_code == 0, result.output
    assert "Imported 3 posts (0 already here) and 3 replies (0 already here" in result.output
    with app.app_context():
        ferry = db.session.scalar(db.select(Post).where(Post.slug == "ferry-timetable-winter"))
        assert ferry.status == "published"
        assert ferry.published_at == datetime(2025, 11, 3, 14, 5, tzinfo=UTC)
        assert ferry.byline == "Mara Okafor" and ferry.author.username == "mara"
        assert ferry.dek == "Hourly crossings from December."
        assert sorted(t.name for t in ferry.tags) == ["Ferries", "Transport"]
        replies = {r.name: r for r in db.session.scalars(db.select(Reply))}
        assert set(replies) == {"Ann Reader", "Ben Porter", "Cleo Marsh"}
        assert all(r.status == "approved" for r in replies.values())
        assert replies["Ann Reader"].parent_id is None
        assert replies["Ben Porter"].parent_id == replies["Ann Reader"].id
        assert replies["Ben Porter"].depth == 2
        # Its parent was never approved, so it hangs from the nearest approved ancestor.
        assert replies["Cleo Marsh"].parent_id == replies["Ann Reader"].id
        assert replies["Ann Reader"].created_at == datetime(2025, 11, 3, 15, 0, tzinfo=UTC)
        assert replies["Ann Reader"].email == "ann@example.com"
        draft = db.session.scalar(db.select(Post).where(Post.title == "Notes for the budget story"))
        assert draft.status == "draft" and draft.published_at is None and draft.byline == "Jun Lee"
        festival = db.session.scalar(db.select(Post).where(Post.slug == "harbour-festival-returns"))
        assert festival.status == "scheduled" and not festival.is_public()
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 3  # no page, no attachment

    article = app.test_client().get("/posts/ferry-timetable-winter")
    html = article.get_data(as_text=True)
    assert "<strong>hourly</strong>" in html
    assert '<a href="https://example.com/ferry"' in html
    assert 'alert("imported")' not in html
    assert "Fares stay the same until spring." in html
    ann = html[html.index("Finally, an hourly service.") :]
    assert "Fares stay the same until spring." in ann  # threaded under Ann's comment
    assert "ann@example.com" not in html.lower()


def test_wxr_import_twice_creates_no_duplicates(app):
    assert run_import(app).exit_code == 0
    second = run_import(app)
    assert second.exit_code == 0, second.output
    assert "Imported 0 posts (3 already here) and 0 replies (3 already here" in second.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 3
        assert db.session.scalar(db.select(db.func.count(Reply.id))) == 3


def test_wxr_import_adds_only_what_is_new(app, tmp_path):
    assert run_import(app).exit_code == 0
    newer = WXR.read_text(encoding="utf-8").replace(
        "<wp:comment_approved><![CDATA[0]]></wp:comment_approved>",
        "<wp:comment_approved><![CDATA[1]]></wp:comment_approved>",
    )
    path = tmp_path / "newer.xml"
    path.write_text(newer, encoding="utf-8")
    result = run_import(app, path)
    assert "Imported 0 posts (3 already here) and 1 replies (3 already here" in result.output
    with app.app_context():
        held = db.session.scalar(db.select(Reply).where(Reply.name == "Held Back"))
        ann = db.session.scalar(db.select(Reply).where(Reply.name == "Ann Reader"))
        assert held.parent_id == ann.id


def test_wxr_import_refuses_other_files(app, tmp_path):
    path = tmp_path / "not.xml"
    path.write_text("<html><body>nope</body></html>", encoding="utf-8")
    result = run_import(app, path)
    assert result.exit_code != 0 and "not a WordPress export" in result.output
    path.write_text("<rss><channel>", encoding="utf-8")
    assert "not a readable WordPress export" in run_import(app, path).output


def test_wxr_ignores_entities_pointing_at_files(tmp_path):
    evil = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&x;</title>'
        "<wp:post_type>post</wp:post_type><wp:status>draft</wp:status></item></channel></rss>"
    )
    try:
        export = parse_wxr(evil.encode())
    except ValueError:
        return  # refusing the file is fine too
    assert "root:" not in export.posts[0].title


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("First\n\nSecond", "First\n\nSecond"),
        ('<a href="javascript:alert(1)">x</a>', "x"),
        ("<h2>Sub</h2><p>a_b *c*</p>", "## Sub\n\na\\_b \\*c\\*"),
        ("<ol><li>a</li><li>b</li></ol>", "1. a\n2. b"),
        ("<style>p{}</style><p>kept</p>", "kept"),
    ],
)
def test_html_to_markdown(html, markdown):
    assert html_to_markdown(html) == markdown


def test_html_to_text_keeps_link_targets():
    assert html_to_text('See <a href="https://e.com/x">this</a>.') == "See this (https://e.com/x)."


def write_export(app, tmp_path, *flags):
    dest = tmp_path / "export.json"
    result = app.test_cli_runner().invoke(args=["export", str(dest), *flags])
    assert result.exit_code == 0, result.output
    return json.loads(dest.read_text(encoding="utf-8")), result.output


def test_export_with_and_without_emails(app, tmp_path):
    assert run_import(app).exit_code == 0
    data, output = write_export(app, tmp_path)
    assert "Exported 3 posts, 3 replies and 2 tags" in output
    assert {p["slug"] for p in data["posts"]} >= {"ferry-timetable-winter"}
    assert {r["email"] for r in data["replies"]} == {
        "ann@example.com",
        "ben@example.com",
        "cleo@example.com",
    }
    assert {t["name"] for t in data["tags"]} == {"Ferries", "Transport"}
    private, output = write_export(app, tmp_path, "--no-emails")
    assert "without emails" in output
    text = json.dumps(private)
    assert "@example.com" not in text and private["emails_included"] is False
    assert len(private["replies"]) == 3
