"""The reply form: every outcome of the contract's reply table, through HTTP."""

import re

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Post, Reply
from tests.conftest import REPLY_DEFAULTS, reply_form_fields


def reply_rows(app) -> list[Reply]:
    with app.app_context():
        return list(db.session.scalars(select(Reply).order_by(Reply.id)))


def test_accepted_reply_redirects_to_its_anchor_and_shows(app, client, add_post, send_reply):
    slug = add_post()
    response = send_reply(slug, body="First line\n\nSecond paragraph")
    assert response.status_code == 303
    [reply] = reply_rows(app)
    assert response.headers["Location"] == f"/posts/{slug}#reply-{reply.id}"
    html = client.get(f"/posts/{slug}").get_data(as_text=True)
    element = re.search(rf'<article class="reply" id="reply-{reply.id}".*?</article>', html, re.S)
    assert element, "the reply is shown as article.reply#reply-<id>"
    assert "Reader One" in element.group(0)
    assert "<time datetime=" in element.group(0)
    assert "<p>First line</p>" in element.group(0)
    assert "<p>Second paragraph</p>" in element.group(0)
    assert "1 reply" in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("body", "", "Please write a comment."),
        ("body", "   \n  ", "Please write a comment."),
        ("body", "x" * 10_001, "A comment can be at most 10,000 characters."),
        ("name", "", "Please give a name"),
        ("name", "n" * 101, "A name can be at most 100 characters."),
        ("email", "", "Please give your email address"),
        ("email", "not-an-email", "Please enter a valid email address"),
        ("email", "someone@localhost", "Please enter a valid email address"),
        ("email", "a" * 250 + "@example.com", "An email address can be at most 254 characters."),
        ("website", "javascript:alert(1)", "A website must start with http:// or https://."),
        ("website", "ftp://example.com", "A website must start with http:// or https://."),
        ("website", "https://" + "w" * 200 + ".com", "at most 200 characters"),
        ("name", "Bad\x00Name", "invisible control characters"),
        ("body", "evil \u202e text", "invisible control characters"),
    ],
)
def test_invalid_field_is_422_with_error_beside_it_and_text_kept(
    app, add_post, send_reply, field, value, message
):
    slug = add_post()
    typed = {"body": "Words I typed carefully", "name": "Kept Name", "website": ""}
    typed[field] = value
    response = send_reply(slug, **typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html, re.S)
    assert error and message in error.group(1)
    assert f'aria-describedby="{field}-error"' in html or f'{field}-error"' in html
    assert re.search(
        rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', html
    )
    assert 'href="#' + field + '"' in html  # the error summary links to the field
    for name, kept in typed.items():
        if name != field and kept and name != "website":
            assert kept in html
    if field != "body":
        assert "Words I typed carefully" in html
    assert reply_rows(app) == []


def test_invalid_email_value_is_echoed_back_to_its_author(add_post, send_reply):
    slug = add_post()
    html = send_reply(slug, email="typo@@example.com").get_data(as_text=True)
    assert 'value="typo@@example.com"' in html


def test_missing_csrf_token_is_400_form_expired_with_text_kept(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        from blog.articles import create_post

        post = create_post(title="Protected story", body="Body.")
        db.session.commit()
        slug = post.slug
    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    fields = reply_form_fields(page)
    assert fields["csrf_token"]
    data = {**fields, **REPLY_DEFAULTS, "body": "Please keep what I wrote"}

    stale = client.post(f"/posts/{slug}/replies", data={**data, "csrf_token": "forged"})
    assert stale.status_code == 400
    html = stale.get_data(as_text=True)
    assert "form expired" in html
    assert "Please keep what I wrote" in html
    missing = client.post(
        f"/posts/{slug}/replies", data={k: v for k, v in data.items() if k != "csrf_token"}
    )
    assert missing.status_code == 400
    assert "Please keep what I wrote" in missing.get_data(as_text=True)

    fresh = reply_form_fields(html)  # the 400 page's form carries a fresh token
    ok = client.post(f"/posts/{slug}/replies", data={**data, "csrf_token": fresh["csrf_token"]})
    assert ok.status_code == 303


def test_csrf_failure_on_unknown_post_is_still_400_with_text(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post(
        "/posts/nothing-here/replies", data={**REPLY_DEFAULTS, "body": "Lost words?"}
    )
    assert response.status_code == 400
    assert "Lost words?" in response.get_data(as_text=True)


def test_closed_post_refuses_with_403(app, client, add_post, send_reply):
    slug = add_post(replies_open=False)
    html = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "Replies are closed" in html
    assert 'id="reply-form"' not in html
    response = client.post(f"/posts/{slug}/replies", data=REPLY_DEFAULTS)
    assert response.status_code == 403
    assert "Replies are closed" in response.get_data(as_text=True)


def test_unknown_and_unpublished_posts_are_404(client, add_post):
    draft = add_post("Draft", status="draft", published_at=None)
    assert client.post("/posts/missing/replies", data=REPLY_DEFAULTS).status_code == 404
    assert client.post(f"/posts/{draft}/replies", data=REPLY_DEFAULTS).status_code == 404


def _approved_reply(app, send_reply, slug, **fields) -> int:
    assert send_reply(slug, **fields).status_code == 303
    return reply_rows(app)[-1].id


@pytest.mark.parametrize(
    "parent",
    [
        "999999",
        "abc",
        "-1",
        "1.5",
        "99999999999999999999999",
        "2147483648",  # one past PostgreSQL's integer: an overflow error there, not a miss
        "\u00b2",  # a digit to str.isdigit, not to int()
        "9" * 5000,  # past the digits int() converts
    ],
)
def test_bad_parent_id_is_404(app, add_post, send_reply, parent):
    slug = add_post()
    assert send_reply(slug, parent_id=parent).status_code == 404


def test_parent_from_another_post_or_pending_is_404(make_app, add_post):
    app = make_app(REPLY_MODERATION="all")
    client = app.test_client()
    with app.app_context():
        from blog.articles import create_post

        first = create_post(title="First", body="b")
        second = create_post(title="Second", body="b")
        db.session.flush()
        other = Reply(
            post_id=second.id,
            name="x",
            email="x@example.com",
            body="hi",
            body_html="<p>hi</p>",
            status="approved",
        )
        pending = Reply(
            post_id=first.id,
            name="y",
            email="y@example.com",
            body="hi",
            body_html="<p>hi</p>",
            status="pending",
        )
        db.session.add_all([other, pending])
        db.session.commit()
        slug, other_id, pending_id = first.slug, other.id, pending.id
    for parent in (other_id, pending_id):
        page = client.get(f"/posts/{slug}").get_data(as_text=True)
        data = {**reply_form_fields(page), **REPLY_DEFAULTS, "parent_id": str(parent)}
        assert client.post(f"/posts/{slug}/replies", data=data).status_code == 404


def test_oversized_request_is_413(app, client, add_post):
    slug = add_post()
    response = client.post(
        f"/posts/{slug}/replies", data={**REPLY_DEFAULTS, "body": "x" * (1024 * 1024 + 10)}
    )
    assert response.status_code == 413
    assert "larger than this site accepts" in response.get_data(as_text=True)


def test_threaded_replies_nest_inside_their_parents(app, client, add_post, send_reply):
    slug = add_post()
    top = _approved_reply(app, send_reply, slug, body="Top level")
    page = client.get(f"/posts/{slug}?reply_to={top}").get_data(as_text=True)
    assert f'name="parent_id" type="hidden" value="{top}"' in page
    assert "Replying to" in page
    child = _approved_reply(app, send_reply, slug, body="An answer", parent_id=str(top))
    html = client.get(f"/posts/{slug}").get_data(as_text=True)
    outer = html.index(f'id="reply-{top}"')
    inner = html.index(f'id="reply-{child}"')
    closing = html.index("</article>", outer)
    assert outer < inner < closing, "the child sits inside its parent's element"
    assert [r.depth for r in reply_rows(app)] == [1, 2]


def test_reply_deeper_than_max_depth_is_422(make_app):
    app = make_app(REPLY_MAX_DEPTH=2)
    client = app.test_client()
    with app.app_context():
        from blog.articles import create_post

        slug = create_post(title="Deep", body="b").slug
        db.session.commit()

    def send(parent=""):
        page = client.get(f"/posts/{slug}").get_data(as_text=True)
        data = {
            **reply_form_fields(page),
            **REPLY_DEFAULTS,
            "parent_id": parent,
            "body": f"reply under {parent or 'article'}",
        }
        return client.post(f"/posts/{slug}/replies", data=data)

    assert send().status_code == 303
    first = reply_rows(app)[-1].id
    assert send(str(first)).status_code == 303
    second = reply_rows(app)[-1].id
    too_deep = send(str(second))
    assert too_deep.status_code == 422
    html = too_deep.get_data(as_text=True)
    assert "already 2 replies deep" in html
    assert "reply under " + str(second) in html
    # And no Reply link is offered on the deepest reply.
    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert f"reply_to={second}" not in page
    assert f"reply_to={first}" in page


@pytest.mark.parametrize(
    ("mode", "first_status", "second_status"),
    [
        ("none", "approved", "approved"),
        ("all", "pending", "pending"),
        ("first-time", "pending", "pending"),
    ],
)
def test_moderation_modes(make_app, mode, first_status, second_status):
    app = make_app(REPLY_MODERATION=mode)
    client = app.test_client()
    with app.app_context():
        from blog.articles import create_post

        slug = create_post(title="Moderated", body="b").slug
        db.session.commit()
    for body in ("one", "two"):
        page = client.get(f"/posts/{slug}").get_data(as_text=True)
        data = {**reply_form_fields(page), **REPLY_DEFAULTS, "body": body}
        assert client.post(f"/posts/{slug}/replies", data=data).status_code == 303
    assert [r.status for r in reply_rows(app)] == [first_status, second_status]


def test_first_time_moderation_publishes_after_one_approval(make_app):
    app = make_app(REPLY_MODERATION="first-time")
    client = app.test_client()
    with app.app_context():
        from blog.articles import create_post

        slug = create_post(title="Moderated", body="b").slug
        db.session.commit()

    def send(body):
        page = client.get(f"/posts/{slug}").get_data(as_text=True)
        data = {**reply_form_fields(page), **REPLY_DEFAULTS, "body": body}
        return client.post(f"/posts/{slug}/replies", data=data)

    send("my first reply")
    with app.app_context():
        first = db.session.scalar(select(Reply))
        assert first.status == "pending"
        assert first.moderation_reason == "first reply from this email address"
        first.status = "approved"
        db.session.commit()
    send("my second reply")
    assert reply_rows(app)[-1].status == "approved"


def test_only_the_author_sees_their_pending_reply(make_app):
    app = make_app(REPLY_MODERATION="all")
    author, stranger = app.test_client(), app.test_client()
    with app.app_context():
        from blog.articles import create_post

        slug = create_post(title="Held", body="b").slug
        db.session.commit()
    page = author.get(f"/posts/{slug}").get_data(as_text=True)
    data = {**reply_form_fields(page), **REPLY_DEFAULTS, "body": "Waiting for a human"}
    response = author.post(f"/posts/{slug}/replies", data=data)
    assert response.status_code == 303
    mine = author.get(f"/posts/{slug}").get_data(as_text=True)
    assert "Waiting for a human" in mine
    assert "awaiting moderation" in mine
    theirs = stranger.get(f"/posts/{slug}").get_data(as_text=True)
    assert "Waiting for a human" not in theirs
    assert "awaiting moderation" not in theirs


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "'';!--\"<XSS>=&{()}",
    '<a href="javascript:alert(1)">x</a>',
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_in_every_field_comes_back_escaped(app, client, add_post, send_reply, payload):
    slug = add_post()
    response = send_reply(slug, body=f"body {payload}", name=f"name {payload}"[:100])
    assert response.status_code == 303
    html = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "onerror=alert(1)>" not in html
    assert "<svg/onload" not in html
    assert 'href="javascript:' not in html
    assert "<XSS>" not in html
    # And in the 422 echo of a bad email:
    bad = send_reply(slug, body=payload, name=payload[:100], email=payload, website=payload)
    assert bad.status_code == 422
    echoed = bad.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in echoed
    assert "<svg/onload" not in echoed
    assert "<XSS>" not in echoed


def test_bare_links_become_nofollow_ugc_links(app, client, add_post, send_reply):
    slug = add_post()
    send_reply(slug, body="See https://example.com/report?a=1&b=2. Thanks")
    html = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert (
        '<a href="https://example.com/report?a=1&amp;b=2" rel="nofollow ugc noopener">'
        "https://example.com/report?a=1&amp;b=2</a>. Thanks" in html
    )


def test_distinctive_email_never_appears_in_public_responses(app, client, rich_post, send_reply):
    email = "zq.secret.reader-7781@example.com"
    first = send_reply(rich_post, email=email, website="https://reader.example.com")
    assert first.status_code == 303
    reply_id = reply_rows(app)[-1].id
    second = send_reply(rich_post, email=email, body="Second", parent_id=str(reply_id))
    urls = [
        "/",
        f"/posts/{rich_post}",
        "/tags/council",
        "/healthz",
        "/posts/missing",
        f"/posts/{rich_post}?reply_to={reply_id}",
    ]
    responses = [first, second] + [client.get(url) for url in urls]
    other_reader = client.application.test_client()
    responses += [other_reader.get(url) for url in urls]
    for response in responses:
        assert email not in response.get_data(as_text=True)
        for header, value in response.headers.items():
            assert email not in value, header
    # The reader who did not tick "remember me" gets no form prefilled with it either.
    assert "zq.secret" not in other_reader.get(f"/posts/{rich_post}").get_data(as_text=True)


def test_reply_count_in_database_matches_accepted(app, add_post, send_reply):
    slug = add_post()
    accepted = sum(send_reply(slug, body=f"reply {n}").status_code == 303 for n in range(5))
    with app.app_context():
        count = db.session.scalar(select(func.count(Reply.id)).join(Post).where(Post.slug == slug))
    assert accepted == count == 5


def test_oversized_request_is_413_before_the_csrf_check(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post(
        "/posts/anything/replies", data={"body": "x" * (1024 * 1024 + 10), "csrf_token": "bad"}
    )
    assert response.status_code == 413


def test_each_reply_form_starts_clean_though_its_fields_are_copied(app):
    """ReplyForm copies fields bound once per process: nothing one reader sent or got wrong
    may show up in the next reader's form."""
    from blog.replies.forms import ReplyForm

    wrong = {**REPLY_DEFAULTS, "name": "First Reader", "email": "not an address", "body": "Hi"}
    with app.test_request_context("/posts/x/replies", method="POST", data=wrong):
        first = ReplyForm()
        assert not first.validate()
        assert first.email.errors and first.name.data == "First Reader"
    right = {**REPLY_DEFAULTS, "name": "Second Reader", "body": "Hello"}
    with app.test_request_context("/posts/x/replies", method="POST", data=right):
        second = ReplyForm()
        assert not second.email.errors
        assert second.name.data == "Second Reader" and second.email.data == right["email"]
        assert second.validate(), second.errors
        assert second.name is not first.name and second.name.meta is second.meta
    with app.test_request_context("/posts/x"):
        blank = ReplyForm()
        assert blank.name.data is None and blank.body.data is None and not blank.errors
        assert blank.name.flags.required and blank.name.label.text == "Name"
        assert 'name="email"' in str(blank.email) and "not an address" not in str(blank.email)
    assert first.email.errors  # the first reader's errors stay with the first form
