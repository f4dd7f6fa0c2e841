"""The hostile-input corpus (tests/hostile/*.json) and Hypothesis properties of the reply form.

Every case, whatever it sends: never a 5xx, never a reflected unescaped payload, never an email
address in the answer other than one the request itself carried (a reader's own input echoed back
to them), and never a header the request smuggled in.
"""

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from blog import clock
from blog.articles import ContradictionInput, create_post
from blog.extensions import db
from blog.models import Reply
from tests.conftest import AppFactory, reply_form_fields

CORPUS = Path(__file__).with_name("hostile")
PAYLOADS: list[str] = json.loads((CORPUS / "payloads.json").read_text())["payloads"]
REQUESTS: list[dict] = json.loads((CORPUS / "requests.json").read_text())["cases"]
SECRET_EMAIL = "private.reader@example.com"
XSS = '<script>alert(1337)</script>"><img src=x onerror=alert(1337)>'
EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,}"
)
SITE_COPY_EMAILS = {"name@example.com"}  # the sample in the email field's error message
FORM_FIELDS = ["body", "name", "email", "website", "parent_id", "remember", "form_token"]
FORM_FIELDS += ["homepage", "csrf_token"]
GET_TARGETS = {
    "article slug": lambda v: ("/posts/" + _quote(v), None),
    "tag slug": lambda v: ("/tags/" + _quote(v), None),
    "reply slug": lambda v: ("/posts/" + _quote(v) + "/replies.xml", None),
    "search query": lambda v: ("/search", {"q": v}),
    "front page number": lambda v: ("/", {"page": v}),
    "reply_to": lambda v: ("/posts/{slug}", {"reply_to": v}),
}
VALID = {
    "body": "A fair point about the bridge budget.",
    "name": "Careful Reader",
    "email": "careful.reader@example.com",
    "website": "",
}


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


class Site:
    """One app for the whole module, with a post whose staff fields are hostile too."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        with app.app_context():
            post = create_post(
                title=f"Budget {XSS}",
                slug="hostile-budget",
                dek=f"Dek {XSS}",
                byline=f"Byline {XSS}",
                body=f"Body <script>alert(1337)</script> [x](javascript:alert(1337)) {XSS}",
                published_at=clock.now() - timedelta(minutes=5),
                tags=["Hostile", f"Tag {XSS}"],
                key_points=[f"Point {XSS}"],
                contradictions=[ContradictionInput(f"Claim {XSS}", [1])],
                sources=[
                    (f"Source {XSS}", "javascript:alert(1337)"),
                    ("Fine", "https://a.example"),
                ],
            )
            db.session.flush()
            db.session.add(
                Reply(
                    post_id=post.id,
                    depth=1,
                    name="Private Reader",
                    email=SECRET_EMAIL,
                    website="",
                    body="An approved reply whose author's email must never show.",
                    body_html="<p>An approved reply whose author's email must never show.</p>",
                    status="approved",
                    created_at=clock.now() - timedelta(minutes=1),
                )
            )
            db.session.commit()
            self.slug = post.slug
            self.tag = post.tags[0].slug
            self.reply_id = db.session.scalar(db.select(Reply.id))
        self.counter = 0

    def fill(self, text: str) -> str:
        return text.replace("{slug}", self.slug).replace("{tag}", self.tag)

    def unique(self) -> str:
        self.counter += 1
        return f" (case {self.counter})"


@pytest.fixture(scope="module")
def site(tmp_path_factory, schema_pool) -> Iterator[Site]:
    factory = AppFactory(tmp_path_factory.mktemp("hostile"), pool=schema_pool)  # as make_app
    try:
        yield Site(factory.build(WTF_CSRF_ENABLED=True))
    finally:
        factory.close()


def emails_in(text: str) -> set[str]:
    """Email addresses in a text, looking only near each @ (megabyte inputs stay fast)."""
    found: set[str] = set()
    start = text.find("@")
    while start != -1:
        left = max(0, start - 64)
        for match in EMAIL.finditer(text, left, start + 256):
            if match.start() <= start < match.end():  # the address around this very @
                found.add(match.group(0).lower())
        start = text.find("@", start + 1)
    return found


FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "math", "svg", "frame", "applet"}


class _Markup(HTMLParser):
    """Collect what a browser would treat as active content in a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> in the page")
        if tag == "script" and "src" not in values and values.get("type") != "application/ld+json":
            self.problems.append("an inline <script>")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append("<meta http-equiv>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler attribute {name} on <{tag}>")
            cleaned = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name in ("href", "src", "action", "formaction") and cleaned.startswith(
                ("javascript:", "data:text/html", "vbscript:")
            ):
                self.problems.append(f"{name}={value!r} on <{tag}>")


def markup_problems(html: str) -> list[str]:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser.problems


def check_answer(response, sent: str, payloads: list[str]) -> None:
    """No 5xx, no raw markup from the request, no foreign email, no smuggled header."""
    assert response.status_code < 500, response.status_code
    text = response.get_data(as_text=True)
    for payload in payloads:
        if "<" in payload and len(payload) > 3:
            assert payload not in text, f"unescaped payload reflected: {payload!r}"
    if response.mimetype == "text/html":
        for problem in markup_problems(text):
            pytest.fail(problem)
    allowed = emails_in(sent) | SITE_COPY_EMAILS
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    for found in emails_in(text) | emails_in(headers):
        assert found in allowed, f"an email address the request did not carry: {found}"
    assert SECRET_EMAIL not in text and SECRET_EMAIL not in headers
    assert "X-Injected" not in response.headers
    assert all("injected" not in c for c in response.headers.getlist("Set-Cookie"))


def _value(spec) -> str:
    if isinstance(spec, dict):
        return spec.get("prefix", "") + spec["repeat"] * spec["times"] + spec.get("suffix", "")
    return spec


def _fresh_form(site: Site, client) -> dict[str, str]:
    page = client.get(f"/posts/{site.slug}")
    assert page.status_code == 200
    return {**reply_form_fields(page.get_data(as_text=True)), **VALID}


def _after(site: Site, client, response, sent: str, payloads: list[str]) -> None:
    """Whatever was stored must come out escaped on the pages that show it."""
    if response.status_code == 303:
        location = response.headers["Location"]
        assert location.startswith(f"/posts/{site.slug}#reply-"), location
    for path in (f"/posts/{site.slug}", "/", f"/tags/{site.tag}"):
        check_answer(client.get(path), sent, payloads)


def _request_case_ids() -> list[str]:
    return [case["id"] for case in REQUESTS]


@pytest.mark.parametrize("case", REQUESTS, ids=_request_case_ids())
def test_hostile_request(site: Site, case: dict) -> None:
    client = site.app.test_client()
    headers = dict(case.get("headers") or {})
    path = site.fill(case["path"])
    if case.get("query"):
        path += "?" + urlencode(case["query"])
    kwargs: dict = {"headers": headers}
    sent = json.dumps(case)
    if case.get("form_from_page"):
        form = _fresh_form(site, client)
        form["body"] += site.unique()
        for key, spec in (case.get("set") or {}).items():
            form[key] = _value(spec)
        for key in case.get("drop") or []:
            form.pop(key, None)
        if case.get("csrf") == "other-session":
            form["csrf_token"] = _fresh_form(site, site.app.test_client())["csrf_token"]
        if case.get("csrf") == "no-cookie":
            client = site.app.test_client()
        items = list(form.items()) + [tuple(d) for d in case.get("dupes") or []]
        if case.get("multipart"):  # encoded here: the test client leaks its temp file
            boundary, kwargs["data"] = encode_multipart(MultiDict(items))
            kwargs["content_type"] = f"multipart/form-data; boundary={boundary}"
        else:
            encoding = "latin-1" if case.get("latin1") else "utf-8"
            kwargs["data"] = urlencode(items, encoding=encoding).encode("ascii")
            kwargs["content_type"] = case.get("content_type", "application/x-www-form-urlencoded")
        sent += json.dumps(form)
    elif "raw" in case:
        kwargs["data"] = _value(case["raw"]).encode("utf-8", "surrogatepass")
        if case.get("content_type"):
            kwargs["content_type"] = case["content_type"]
    if "content_length" in case:
        kwargs.setdefault("environ_overrides", {})["CONTENT_LENGTH"] = case["content_length"]
    if "Host" in headers:  # as sent on the wire, past the test client's URL parsing
        kwargs.setdefault("environ_overrides", {})["HTTP_HOST"] = headers.pop("Host")
    response = client.open(path, method=case["method"], **kwargs)
    payloads = [p for p in PAYLOADS if p in sent] + [XSS, "<script>alert(1337)</script>"]
    check_answer(response, sent, payloads)
    allowed = case["expect"]
    assert response.status_code in allowed, (response.status_code, allowed)
    _after(site, client, response, sent, payloads)


FIELD_CASES = [(field, i) for field in FORM_FIELDS for i in range(len(PAYLOADS))]


@pytest.mark.parametrize("field, index", FIELD_CASES, ids=[f"{f}-{i}" for f, i in FIELD_CASES])
def test_hostile_value_in_a_reply_field(site: Site, field: str, index: int) -> None:
    payload = PAYLOADS[index]
    client = site.app.test_client()
    form = _fresh_form(site, client)
    form["body"] += site.unique()
    form[field] = payload + (site.unique() if field == "body" else "")
    response = client.post(f"/posts/{site.slug}/replies", data=form)
    sent = json.dumps(form)
    check_answer(response, sent, [payload, XSS])
    if field in ("body", "name", "email", "website", "parent_id", "csrf_token"):
        # A bad value in a checked field is refused plainly, never stored as something else.
        assert response.status_code in (303, 400, 404, 409, 422), response.status_code
    _after(site, client, response, sent, [payload, XSS])


GET_CASES = [(target, i) for target in GET_TARGETS for i in range(len(PAYLOADS))]


@pytest.mark.parametrize("target, index", GET_CASES, ids=[f"{t}-{i}" for t, i in GET_CASES])
def test_hostile_value_in_a_slug_or_query(site: Site, target: str, index: int) -> None:
    payload = PAYLOADS[index]
    path, query = GET_TARGETS[target](payload)
    path = site.fill(path)
    if query:
        path += "?" + urlencode(query)
    response = site.app.test_client().get(path)
    check_answer(response, path + " " + payload, [payload, XSS])
    assert response.status_code in (200, 301, 302, 308, 400, 404), response.status_code


def test_corpus_is_large_enough() -> None:
    total = len(REQUESTS) + len(FIELD_CASES) + len(GET_CASES)
    assert len(PAYLOADS) >= 50 and total >= 200, total


# Hypothesis: any field values at all give 303 or a 4xx, never a 5xx, and never leak.
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=300)
FIELD_VALUES = st.one_of(ANY_TEXT, st.sampled_from(PAYLOADS), st.just(""))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=FIELD_VALUES,
    name=FIELD_VALUES,
    email=st.one_of(FIELD_VALUES, st.emails()),
    website=st.one_of(FIELD_VALUES, st.from_regex(r"https?://[a-z]{1,10}\.example/[a-z]*")),
    parent_id=st.one_of(FIELD_VALUES, st.integers().map(str)),
    remember=st.sampled_from(["", "y", "on", "<x>"]),
)
def test_any_reply_form_values_give_303_or_4xx(
    site: Site, body, name, email, website, parent_id, remember
) -> None:
    client = site.app.test_client()
    form = _fresh_form(site, client)
    form.update(
        body=body, name=name, email=email, website=website, parent_id=parent_id, remember=remember
    )
    response = client.post(f"/posts/{site.slug}/replies", data=form)
    assert response.status_code == 303 or 400 <= response.status_code < 500
    check_answer(response, json.dumps(form), [body, name, email, website, parent_id])


SWEEP = ["/", "/posts/{slug}", "/tags/{tag}", "/search?q=budget", "/feed.xml"]
SWEEP += ["/posts/{slug}/replies.xml", "/sitemap.xml", "/archive", "/robots.txt"]


def test_every_page_after_the_corpus_is_clean(site: Site) -> None:
    """Runs after the corpus (file order): all it stored comes out escaped and address-free."""
    with site.app.app_context():
        stored = db.session.scalar(db.select(db.func.count(Reply.id)))
    print(f"hostile corpus: {stored} replies stored and re-shown escaped")
    assert stored > 100  # the corpus really stored hostile replies to show
    client = site.app.test_client()
    for path in SWEEP:
        response = client.get(site.fill(path))
        assert response.status_code in (200, 404), (path, response.status_code)
        check_answer(response, "", [*PAYLOADS, XSS])


def test_an_email_typed_into_a_comment_is_hidden_when_shown(client, add_post, send_reply):
    slug = add_post()
    sent = send_reply(slug, body="Write to me at mara.okafor@example.com about the bridge.")
    assert sent.status_code == 303
    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "Write to me at [email address hidden] about the bridge." in page
    assert "mara.okafor@example.com" not in page


def test_an_email_address_as_the_name_is_refused_with_a_reason(client, add_post, send_reply):
    slug = add_post()
    sent = send_reply(slug, name="mara.okafor@example.com")
    assert sent.status_code == 422
    assert "Please give a name, not an email address" in sent.get_data(as_text=True)
    assert "mara.okafor@example.com" not in client.get(f"/posts/{slug}").get_data(as_text=True)
