"""A reader in Chromium: read the seed article, reply, and get a clear error on a bad email."""

import re

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded_server(app, runner, seed_file):
    result = runner.invoke(args=["import-article", str(seed_file), "--tag", "World"])
    assert result.exit_code == 0, result.output
    with LiveServer(app) as server:
        yield server, result.output.strip()


def test_reader_reads_the_seed_article(seeded_server, page):
    server, path = seeded_server
    page.goto(server.url + "/")
    page.get_by_role("link", name=re.compile("Putin Defies ICC Warrant")).click()
    page.wait_for_url(server.url + path)
    assert page.locator("h1").count() == 1
    assert page.locator("h1").inner_text().startswith("Putin Defies ICC Warrant")
    assert page.locator(".story-body p").count() == 5
    assert page.get_by_role("region", name="Key points").locator("li").count() == 4
    contradictions = page.get_by_role("region", name="Contradictions").locator("li")
    assert contradictions.count() == 1
    assert contradictions.inner_text().startswith("While some sources report")
    assert page.get_by_role("heading", name="Leave a Reply").is_visible()
    assert page.get_by_text("Your email address will not be published.").is_visible()
    assert page.locator("time[datetime]").first.get_attribute("datetime")


def test_reader_sends_a_reply_and_sees_it(seeded_server, page):
    server, path = seeded_server
    page.goto(server.url + path)
    page.get_by_label(re.compile(r"^Comment\b")).fill(
        "A reader's first reply, sent from a real browser."
    )
    page.get_by_label(re.compile(r"^Name\b")).fill("Browser Reader")
    page.get_by_label(re.compile(r"^Email\b")).fill("browser.reader@example.com")
    page.get_by_role("button", name="Post Reply").click()
    page.wait_for_url(re.compile(r".*#reply-\d+$"))
    reply_id = page.url.rsplit("#", 1)[1]
    reply = page.locator(f"article.reply#{reply_id}")
    assert reply.is_visible()
    assert "Browser Reader" in reply.inner_text()
    assert "A reader's first reply, sent from a real browser." in reply.inner_text()
    assert "browser.reader@example.com" not in page.content()


def test_bad_email_shows_the_error_beside_the_field_and_keeps_the_text(seeded_server, page):
    server, path = seeded_server
    page.goto(server.url + path)
    page.get_by_label(re.compile(r"^Comment\b")).fill("Text I do not want to type twice.")
    page.get_by_label(re.compile(r"^Name\b")).fill("Hasty Reader")
    page.get_by_label(re.compile(r"^Email\b")).fill("hasty.reader@@example")
    page.get_by_role("button", name="Post Reply").click()
    page.wait_for_load_state()
    email_field = page.locator("#email")
    assert email_field.get_attribute("aria-invalid") == "true"
    error = page.locator("#email-error")
    assert error.is_visible()
    assert "valid email address" in error.inner_text()
    assert "email-error" in email_field.get_attribute("aria-describedby")
    # The error sits right after the field, inside the same field group.
    assert page.locator(".field--error").filter(has=page.locator("#email")).count() == 1
    assert (
        page.get_by_label(re.compile(r"^Comment\b")).input_value()
        == "Text I do not want to type twice."
    )
    assert page.get_by_label(re.compile(r"^Name\b")).input_value() == "Hasty Reader"
    assert email_field.input_value() == "hasty.reader@@example"
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "email"
