"""The article editor: parts, validation that keeps typed text, time zones, scheduling,
previews, safe Markdown, notes that move "Updated", revisions and restoring them."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from desk_support import make_user, sign_in

from blog import clock
from blog.extensions import db
from blog.models import Post, Revision

FULL_POST = {
    "title": "Footbridge costs questioned",
    "slug": "",
    "dek": "Two documents, two numbers.",
    "dateline": "RIVERSIDE",
    "byline": "Mara Okafor",
    "body": "The council met on *Tuesday*.\n\nA second paragraph.",
    "key_points": "The vote was 5-2.\nWork starts in spring.",
    "sources": "Council minutes | https://example.com/minutes\nEngineering report",
    "contradictions": "The cost differs between the two documents [1, 2]",
    "tags": "Council, Transport",
    "status": "published",
    "published_at": "",
    "replies_open": "y",
}


@pytest.fixture
def desk(app, client):
    """A client signed in as an editor."""
    make_user(app, "mara")
    assert sign_in(client, "mara").status_code == 303
    return client


def post_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Post.id)))


def stored(app, **where) -> Post:
    with app.app_context():
        post = db.session.scalar(db.select(Post).filter_by(**where))
        db.session.expunge(post)
        return post


def test_editor_form_has_the_contract_fields(desk):
    html = desk.get("/admin/posts/new").get_data(as_text=True)
    for name in (
        "title", "slug", "dek", "body", "key_points", "contradictions", "sources", "tags",
        "status", "published_at", "replies_open", "csrf_token",
    ):  # fmt: skip
        assert f'name="{name}"' in html, name
    assert 'value="Preview"' in html
    for status in ("draft", "scheduled", "published"):
        assert f'value="{status}"' in html


def test_publishing_a_post_with_every_part(desk):
    response = desk.post("/admin/posts/new", data=FULL_POST)
    assert response.status_code == 303
    assert re.fullmatch(r"/admin/posts/\d+/edit", response.headers["Location"])
    article = desk.get("/posts/footbridge-costs-questioned")
    assert article.status_code == 200
    html = article.get_data(as_text=True)
    assert "<em>Tuesday</em>" in html
    assert "The vote was 5-2." in html and "Work starts in spring." in html
    assert "The cost differs between the two documents" in html
    contradictions = html[html.index('class="contradictions"') : html.index('class="sources"')]
    assert "Council minutes" in contradictions and "Engineering report" in contradictions
    assert 'href="https://example.com/minutes"' in html
    assert "RIVERSIDE" in html and "By Mara Okafor" in html
    assert "/tags/council" in html and "/tags/transport" in html


def test_saved_post_comes_back_in_the_editor_as_typed(desk, app):
    location = desk.post("/admin/posts/new", data=FULL_POST).headers["Location"]
    html = desk.get(location).get_data(as_text=True)
    assert "Council minutes | https://example.com/minutes\nEngineering report" in html
    assert "The cost differs between the two documents [1, 2]" in html
    assert 'value="Council, Transport"' in html
    assert 'value="footbridge-costs-questioned"' in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"body": ""}, "This field is required."),
        ({"sources": "Minutes | ftp://example.com/x"}, "must start with http:// or https://"),
        ({"sources": " | https://example.com"}, "Source 1 needs a name"),
        ({"contradictions": "Numbers differ [1, 3]"}, "cites source 3, but there are 2 sources"),
        ({"status": "scheduled", "published_at": ""}, "A scheduled post needs a publication time"),
        ({"status": "scheduled", "published_at": "2001-01-01T09:00"}, "That time has passed"),
        ({"status": "archived"}, "Not a valid choice"),
        ({"tags": "x" * 61}, "at most 60 characters"),
        ({"published_at": "next tuesday"}, "Not a valid datetime value"),
    ],
)
def test_invalid_input_is_marked_and_nothing_typed_is_lost(desk, app, changes, message):
    data = {**FULL_POST, **changes}
    response = desk.post("/admin/posts/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="field-error"' in html
    for name in ("title", "body", "key_points", "sources"):  # everything typed is still there
        typed = data[name].splitlines()[0] if data[name] else ""
        assert typed.replace('"', "&#34;") in html, name
    assert post_count(app) == 0


def test_slug_is_made_from_the_title_and_kept_unique(desk, app):
    desk.post("/admin/posts/new", data=FULL_POST)
    desk.post("/admin/posts/new", data=FULL_POST)
    desk.post("/admin/posts/new", data={**FULL_POST, "slug": "Costs, Again!"})
    with app.app_context():
        slugs = set(db.session.scalars(db.select(Post.slug)))
    assert slugs == {
        "footbridge-costs-questioned",
        "footbridge-costs-questioned-2",
        "costs-again",
    }


def test_markdown_cannot_smuggle_html_or_script_links(desk):
    body = (
        "Hello <script>alert(1)</script>\n\n[click](javascript:alert(2))\n\n"
        '<img src=x onerror="alert(3)">\n\n[ok](https://example.com/)'
    )
    desk.post("/admin/posts/new", data={**FULL_POST, "body": body})
    html = desk.get("/posts/footbridge-costs-questioned").get_data(as_text=True)
    story = html[html.index('class="story-body"') : html.index('class="key-points"')]
    assert "<script>alert" not in story
    assert 'href="javascript:' not in story  # shown as text, never a link
    assert "<img" not in story
    assert "&lt;script&gt;" in story
    assert '<a href="https://example.com/"' in story


def test_preview_shows_the_article_without_saving(desk, app):
    response = desk.post("/admin/posts/new", data={**FULL_POST, "preview": "Preview"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    preview = html[html.index('class="preview"') : html.index('id="editor"')]
    assert "Footbridge costs questioned" in preview
    assert "<em>Tuesday</em>" in preview
    assert "The vote was 5-2." in preview
    assert "Engineering report" in preview
    assert 'name="save"' in html  # staff go on to publish from here
    assert post_count(app) == 0


def test_times_are_typed_in_the_newsroom_zone_and_stored_in_utc(make_app):
    app = make_app(TIMEZONE="America/New_York")
    make_user(app)
    client = app.test_client()
    sign_in(client)
    data = {**FULL_POST, "published_at": "2026-07-01T09:30"}
    location = client.post("/admin/posts/new", data=data).headers["Location"]
    post = stored(app, slug="footbridge-costs-questioned")
    assert post.published_at == datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
    assert 'value="2026-07-01T09:30"' in client.get(location).get_data(as_text=True)
    article = client.get("/posts/footbridge-costs-questioned").get_data(as_text=True)
    assert 'datetime="2026-07-01T09:30:00-04:00"' in article


def test_scheduled_post_appears_when_due(desk, app):
    zone = ZoneInfo(app.config["TIMEZONE"])
    when = (clock.now() + timedelta(minutes=3)).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    data = {**FULL_POST, "status": "scheduled", "published_at": when}
    location = desk.post("/admin/posts/new", data=data).headers["Location"]
    assert "It will appear on the site at" in desk.get(location).get_data(as_text=True)
    assert desk.get("/posts/footbridge-costs-questioned").status_code == 404
    assert "Footbridge costs questioned" not in desk.get("/").get_data(as_text=True)
    dashboard = desk.get("/admin/").get_data(as_text=True)
    scheduled = dashboard[dashboard.index("scheduled-title") :]
    assert "Footbridge costs questioned" in scheduled[: scheduled.index("newest-title")]
    clock.advance(4 * 60)
    assert "Footbridge costs questioned" in desk.get("/").get_data(as_text=True)
    assert desk.get("/posts/footbridge-costs-questioned").status_code == 200
    # Editing it later keeps the (now past) scheduled time valid.
    resave = desk.post(location, data={**data, "body": "Edited after it went out."})
    assert resave.status_code == 303


def test_draft_stays_private(desk):
    desk.post("/admin/posts/new", data={**FULL_POST, "status": "draft"})
    assert desk.get("/posts/footbridge-costs-questioned").status_code == 404
    assert "Footbridge costs questioned" in desk.get("/admin/").get_data(as_text=True)


def test_plain_edit_does_not_move_updated_but_a_note_does(desk, app):
    location = desk.post("/admin/posts/new", data=FULL_POST).headers["Location"]
    post_id = int(location.split("/")[3])
    clock.advance(600)
    desk.post(location, data={**FULL_POST, "body": "Typo fixed in the first line."})
    post = stored(app, id=post_id)
    assert post.updated_at is None
    assert post.modified_at > post.published_at
    article = desk.get("/posts/footbridge-costs-questioned").get_data(as_text=True)
    assert "Updated" not in article
    assert "Typo fixed in the first line." in article

    clock.advance(600)
    response = desk.post(
        f"/admin/posts/{post_id}/notes",
        data={"kind": "Correction", "text": "An earlier version gave the wrong vote count."},
    )
    assert response.status_code == 303
    post = stored(app, id=post_id)
    assert post.updated_at is not None and post.updated_at > post.modified_at
    article = desk.get("/posts/footbridge-costs-questioned").get_data(as_text=True)
    assert "Updated" in article
    assert "Correction" in article and "An earlier version gave the wrong vote count." in article


def test_empty_note_is_refused(desk):
    location = desk.post("/admin/posts/new", data=FULL_POST).headers["Location"]
    post_id = int(location.split("/")[3])
    response = desk.post(f"/admin/posts/{post_id}/notes", data={"kind": "Update", "text": ""})
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)


def test_every_save_keeps_a_revision_that_can_be_restored(desk, app):
    location = desk.post("/admin/posts/new", data=FULL_POST).headers["Location"]
    post_id = int(location.split("/")[3])
    clock.advance(60)
    desk.post(
        location,
        data={**FULL_POST, "body": "Rewritten body.", "key_points": "Only one point now."},
    )
    with app.app_context():
        revisions = db.session.scalars(
            db.select(Revision).where(Revision.post_id == post_id).order_by(Revision.id)
        ).all()
        first_id = revisions[0].id
    assert len(revisions) == 2
    editor = desk.get(location).get_data(as_text=True)
    listed = editor[editor.index('id="revisions"') :]
    assert listed.count("by Mara") == 2
    assert "Restore" in listed
    assert "Original" not in listed
    assert "The council met on" in desk.get(f"/admin/revisions/{first_id}").get_data(as_text=True)

    response = desk.post(f"/admin/revisions/{first_id}/restore")
    assert response.status_code == 303
    article = desk.get("/posts/footbridge-costs-questioned").get_data(as_text=True)
    assert "Tuesday" in article and "Rewritten body." not in article
    assert "Work starts in spring." in article and "Only one point now." not in article
    with app.app_context():
        count = db.session.scalar(
            db.select(db.func.count(Revision.id)).where(Revision.post_id == post_id)
        )
    assert count == 3  # the restore is itself a revision: nothing is lost


def test_unknown_post_is_404(desk):
    assert desk.get("/admin/posts/999/edit").status_code == 404
    assert desk.post("/admin/revisions/999/restore").status_code == 404


def test_saving_again_keeps_the_exact_publication_time(desk, app, add_post):
    slug = add_post("Seconds matter")
    with app.app_context():
        post = db.session.scalar(db.select(Post).where(Post.slug == slug))
        post_id, published = post.id, post.published_at
    form = desk.get(f"/admin/posts/{post_id}/edit").get_data(as_text=True)
    shown = re.search(r'name="published_at"[^>]*value="([^"]+)"', form) or re.search(
        r'value="([^"]+)"[^>]*name="published_at"', form
    )
    data = {**FULL_POST, "title": "Seconds matter", "published_at": shown.group(1)}
    assert desk.post(f"/admin/posts/{post_id}/edit", data=data).status_code == 303
    assert stored(app, id=post_id).published_at == published


def test_readers_see_desk_changes_at_once(desk, app):
    """Anonymous readers may get cached pages: a save, a note and a schedule must still show."""
    location = desk.post("/admin/posts/new", data=FULL_POST).headers["Location"]
    post_id = int(location.split("/")[3])
    reader = app.test_client()
    assert "Tuesday" in reader.get("/posts/footbridge-costs-questioned").get_data(as_text=True)
    assert "Footbridge costs questioned" in reader.get("/").get_data(as_text=True)
    desk.post(location, data={**FULL_POST, "title": "Footbridge costs disputed"})
    assert "Footbridge costs disputed" in reader.get("/").get_data(as_text=True)
    desk.post(f"/admin/posts/{post_id}/notes", data={"kind": "Update", "text": "Council replied."})
    article = reader.get("/posts/footbridge-costs-questioned").get_data(as_text=True)
    assert "Council replied." in article and "Updated" in article


# Control characters typed or pasted into the editor get a clear 422, never a 500: PostgreSQL
# refuses NUL in text outright (it was a 500 there), SQLite stored it invisibly.
CONTROL_FIELDS = ["title", "dek", "dateline", "byline", "body", "key_points", "sources", "tags"]


@pytest.mark.parametrize("field", [*CONTROL_FIELDS, "slug"])
@pytest.mark.parametrize("control", ["\x00", "\x1b", "\x7f"], ids=["nul", "escape", "delete"])
def test_a_control_character_in_any_editor_field_is_refused_plainly(desk, field, control):
    data = {**FULL_POST, field: f"Before{control}after {FULL_POST[field]}".strip()}
    response = desk.post("/admin/posts/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Please remove the invisible control characters from this field." in html
    assert "Footbridge costs questioned" in html or field == "title"  # the rest is kept
    assert desk.get("/admin/").status_code == 200


def test_tabs_and_line_breaks_are_still_fine(desk):
    data = {**FULL_POST, "body": "First line\r\n\tindented second line"}
    assert desk.post("/admin/posts/new", data=data).status_code == 303
