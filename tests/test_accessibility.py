"""Accessibility in Chromium: axe-core finds no WCAG 2.x A/AA violation on the pages that matter,
and a keyboard alone can send a reply and recover from errors.

axe-core comes from the npm package in ./node_modules (`make test` and `.ci/run` install it from
package.json) and is read from disk, never fetched. It is injected with Playwright's evaluate,
which the page's Content-Security-Policy does not block.
"""

import os
import re
from pathlib import Path

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
STAFF = ("deskeditor", "correct-horse-battery")


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        message = f"{AXE} is missing: run `npm install` (make test does) to get axe-core"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def audit(page, axe_source: str) -> dict:
    """Run axe on the current page with the WCAG A/AA rules only; return its result."""
    page.evaluate(axe_source)
    return page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG_TAGS,
    )


def assert_no_violations(result: dict, where: str) -> int:
    """No violation; returns how many rules axe checked (passed, failed or not applicable)."""
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert not problems, f"{where}:\n" + "\n".join(problems)
    checked = {r["id"] for key in ("passes", "violations", "incomplete") for r in result[key]}
    applicable = len(checked)
    total = applicable + len(result["inapplicable"])
    print(f"axe {where}: {total} rules checked ({applicable} applicable), 0 violations")
    return total


@pytest.fixture
def site(app, add_post, runner, send_reply):
    """A small site: an article with replies and tags, and a staff account."""
    slug = add_post(
        "Council approves footbridge",
        dek="A five-to-two vote after a long debate.",
        byline="Mara Okafor",
        tags=["Council", "Transport"],
        key_points=["The vote was 5-2.", "Work starts in spring."],
        sources=[("Minutes", "https://example.com/minutes")],
    )
    add_post("Library hours grow", tags=["Council"])
    assert send_reply(slug).status_code == 303
    result = runner.invoke(args=["create-user", STAFF[0], "--admin"], input=f"{STAFF[1]}\n" * 2)
    assert result.exit_code == 0, result.output
    with LiveServer(app) as server:
        yield server, slug


def _has_route(app, rule: str) -> bool:
    return any(r.rule == rule for r in app.url_map.iter_rules())


def _sign_in(page, url: str) -> None:
    page.goto(url + "/admin/login")
    page.get_by_label(re.compile("^Username")).fill(STAFF[0])
    page.get_by_label(re.compile("^Password")).fill(STAFF[1])
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/admin/login" not in page.url, "the staff sign-in did not succeed"


READER_PAGES = {  # name: (route rule, address)
    "front page": ("/", "/"),
    "article": ("/posts/<slug>", "/posts/{slug}"),
    "search": ("/search", "/search?q=footbridge"),
    "tag page": ("/tags/<slug>", "/tags/council"),
}


@pytest.mark.parametrize("name", list(READER_PAGES))
def test_reader_page_has_no_wcag_violations(site, page, axe_source, name, app):
    server, slug = site
    rule, path = READER_PAGES[name]
    path = path.format(slug=slug)
    if not _has_route(app, rule):
        pytest.skip(f"{rule} is not served by this build yet")
    response = page.goto(server.url + path)
    assert response.status == 200
    assert_no_violations(audit(page, axe_source), name)


def test_article_with_form_errors_has_no_wcag_violations(site, page, axe_source):
    server, slug = site
    page.goto(server.url + f"/posts/{slug}")
    page.get_by_label(re.compile(r"^Comment")).fill("A reply with a broken address.")
    page.get_by_label(re.compile(r"^Name")).fill("Hasty Reader")
    page.get_by_label(re.compile(r"^Email")).fill("hasty@@example")
    with page.expect_navigation():
        page.get_by_role("button", name="Post Reply").click()
    assert page.locator("#error-summary").is_visible()
    assert_no_violations(audit(page, axe_source), "article with form errors")


DESK_PAGES = {
    "desk sign-in": ("/admin/login", False),
    "moderation queue": ("/admin/replies", True),
    "editor": ("/admin/posts/new", True),
}


@pytest.mark.parametrize("name", list(DESK_PAGES))
def test_desk_page_has_no_wcag_violations(site, page, axe_source, name, app):
    server, _ = site
    path, signed_in = DESK_PAGES[name]
    if not _has_route(app, path):
        pytest.skip(f"{path} is not served by this build yet")
    if signed_in:
        _sign_in(page, server.url)
    query = "?status=pending" if path == "/admin/replies" else ""
    response = page.goto(server.url + path + query)
    assert response.status == 200
    assert_no_violations(audit(page, axe_source), name)


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching selector has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_reader_sends_a_reply_and_lands_on_it(site, page):
    server, slug = site
    page.goto(server.url + f"/posts/{slug}")
    _tab_to(page, "#body")
    page.keyboard.type("Sent with the keyboard alone.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "name"
    page.keyboard.type("Keyboard Reader")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type("keyboard.reader@example.com")
    _tab_to(page, "#reply-form button[type=submit]", limit=6)  # website, remember, then send
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"#reply-\d+$", page.url), page.url
    target = page.locator(":target")
    assert target.evaluate("e => e.matches('article.reply')")
    assert "Sent with the keyboard alone." in target.inner_text()
    assert target.is_visible()
    assert target.evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0 }"
    ), "the new reply is not in view"


def test_keyboard_errors_move_focus_to_the_summary_and_its_links_to_fields(site, page):
    server, slug = site
    page.goto(server.url + f"/posts/{slug}")
    _tab_to(page, "#body")
    page.keyboard.type("My text must survive the error.")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # name left empty
    page.keyboard.type("not-an-address")
    _tab_to(page, "#reply-form button[type=submit]", limit=6)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # autofocus lands on the browser's next rendering step, which may come after "load".
    page.wait_for_function("() => document.activeElement.id === 'error-summary'", timeout=5000)
    assert page.locator("#body").input_value() == "My text must survive the error."
    links = page.locator("#error-summary a")
    assert links.count() == 2
    for index, field in ((0, "name"), (1, "email")):
        page.locator("#error-summary").focus()
        for _ in range(index + 1):
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") == f"#{field}"
        page.keyboard.press("Enter")
        page.wait_for_function("(f) => document.activeElement.id === f", arg=field)


def test_everything_works_with_javascript_turned_off(site, browser):
    """No script is needed: replying, errors with focus, and the error links all work."""
    server, slug = site
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url + f"/posts/{slug}")
        page.get_by_label(re.compile(r"^Comment")).fill("Sent with scripting off.")
        page.get_by_label(re.compile(r"^Name")).fill("Plain Reader")
        page.get_by_label(re.compile(r"^Email")).fill("not-an-address")
        with page.expect_navigation():
            page.get_by_role("button", name="Post Reply").click()
        assert page.locator("#error-summary").is_visible()
        page.wait_for_function("() => document.activeElement.id === 'error-summary'", timeout=5000)
        page.get_by_label(re.compile(r"^Email")).fill("plain.reader@example.com")
        with page.expect_navigation():
            page.get_by_role("button", name="Post Reply").click()
        assert re.search(r"#reply-\d+$", page.url), page.url
        assert "Sent with scripting off." in page.locator(":target").inner_text()
    finally:
        context.close()
