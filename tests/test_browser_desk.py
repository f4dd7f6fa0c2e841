"""A newsroom day in Chromium: sign in, write a post with its parts, preview, schedule it a
few minutes ahead and see it on the front page when due (the app clock is moved, nothing
sleeps), approve a reader's pending reply, add a correction and see "Updated"."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from desk_support import PASSWORD, make_user

from blog import clock
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

HEADLINE = "Night buses return to the river route"
ZONE = "America/Chicago"


@pytest.fixture
def app(make_app):
    """CSRF on, as in production; every reader reply waits for a person."""
    return make_app(WTF_CSRF_ENABLED=True, REPLY_MODERATION="all", TIMEZONE=ZONE)


@pytest.fixture
def server(app, rich_post):
    make_user(app, "mara", admin=False)
    with LiveServer(app) as live:
        yield live


def reader_sends_reply(browser, server, slug: str) -> str:
    """A reader in their own browser replies to an article; returns the reply's element id."""
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(f"{server.url}/posts/{slug}")
        tab.get_by_label(re.compile(r"^Comment\b")).fill("Will the footbridge have lighting?")
        tab.get_by_label(re.compile(r"^Name\b")).fill("Ines Reader")
        tab.get_by_label(re.compile(r"^Email\b")).fill("ines.reader@example.com")
        tab.get_by_role("button", name="Post Reply").click()
        tab.wait_for_url(re.compile(r".*#reply-\d+$"))
        assert "awaiting moderation" in tab.content()
        return tab.url.rsplit("#", 1)[1]
    finally:
        context.close()


def test_staff_day(server, browser, page, rich_post):
    reply_anchor = reader_sends_reply(browser, server, rich_post)
    reply_id = reply_anchor.split("-")[1]

    # Sign in: the desk sends a stranger to the sign-in form and back.
    page.goto(server.url + "/admin/")
    page.wait_for_url(re.compile(r".*/admin/login\?next="))
    page.get_by_label("Username").fill("mara")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/admin/")
    assert page.get_by_role("heading", name="Desk", exact=True).is_visible()
    assert page.get_by_role("link", name=re.compile(r"Pending replies \(1\)")).is_visible()

    # Write a post with key points, a contradiction and sources, and preview it.
    page.get_by_role("link", name="New post").click()
    page.get_by_label("Headline").fill(HEADLINE)
    page.get_by_label("Body (Markdown)").fill(
        "Night buses will run again from *Friday*, the transit board said.\n\n"
        "The route was cut in spring."
    )
    page.get_by_label("Key points").fill("Service resumes Friday.\nBuses run every 30 minutes.")
    page.get_by_label("Sources").fill(
        "Transit board minutes | https://example.com/minutes\nDrivers' union statement"
    )
    page.get_by_label("Contradictions").fill("The two sources give different start dates [1, 2]")
    page.get_by_label("Tags").fill("Transport, Night life")
    page.get_by_label("Status").select_option("scheduled")
    due = (clock.now() + timedelta(minutes=2)).astimezone(ZoneInfo(ZONE))
    page.get_by_label("Publication time").fill(due.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Preview", exact=True).click()

    preview = page.locator("section.preview")
    assert preview.locator(".preview-title").inner_text() == HEADLINE
    assert preview.locator("em", has_text="Friday").is_visible()
    assert preview.locator(".key-points li").all_inner_texts() == [
        "Service resumes Friday.",
        "Buses run every 30 minutes.",
    ]
    cited = preview.locator(".contradictions .cited").inner_text()
    assert "Transit board minutes" in cited and "Drivers' union statement" in cited
    assert page.get_by_label("Headline").input_value() == HEADLINE  # the form kept everything

    # Schedule it: from the preview, save.
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r".*/admin/posts/\d+/edit$"))
    editor_url = page.url
    assert page.get_by_text("It will appear on the site at").is_visible()

    page.goto(server.url + "/")
    assert page.get_by_role("link", name=HEADLINE).count() == 0
    clock.advance(3 * 60)  # the scheduled minute arrives
    page.reload()
    page.get_by_role("link", name=HEADLINE).first.click()
    assert page.locator("h1").inner_text() == HEADLINE
    assert page.get_by_role("region", name="Key points").locator("li").count() == 2
    assert page.get_by_role("region", name="Contradictions").is_visible()
    assert page.locator(".meta .updated").count() == 0

    # Moderate: the reader's reply is held with its reason; approve it.
    page.goto(server.url + "/admin/replies?status=pending")
    row = page.locator(f"#queue-reply-{reply_id}")
    assert "Will the footbridge have lighting?" in row.inner_text()
    assert "Reason:" in row.inner_text()
    row.get_by_role("button", name="Approve").click()
    page.wait_for_url(re.compile(r".*/admin/replies\?status=pending$"))
    assert page.get_by_text("is now approved").is_visible()
    page.goto(f"{server.url}/posts/{rich_post}")
    approved = page.locator(f"article.reply#{reply_anchor}")
    assert "Will the footbridge have lighting?" in approved.inner_text()
    assert "awaiting moderation" not in approved.inner_text()

    # Correct the new post: the note shows with its time and the article reads "Updated".
    clock.advance(10 * 60)
    page.goto(editor_url)
    page.get_by_label("Kind").select_option("Correction")
    page.get_by_label(re.compile(r"^Note\b")).fill("An earlier version misstated the start day.")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_url(re.compile(r".*/edit#notes$"))
    page.get_by_role("link", name="View on the site").click()
    updated = page.locator(".meta .updated")
    assert updated.is_visible() and updated.inner_text().startswith("Updated")
    assert page.locator(".meta .updated time").get_attribute("datetime")
    notes = page.get_by_role("region", name="Corrections and updates").inner_text()
    assert "Correction" in notes and "An earlier version misstated the start day." in notes
