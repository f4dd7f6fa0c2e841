"""CSRF on every desk form: each POST route refuses a request without a valid token, and
every form the desk renders carries one."""

import re

import pytest
from desk_support import csrf_from, make_user, sign_in
from flask import url_for

from blog.articles import create_post
from blog.extensions import db
from blog.models import AuditEntry, Post, Reply, Revision


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True, REPLY_MODERATION="all")


@pytest.fixture
def world(csrf_app):
    """An admin signed in (through the form, with its token) and one of everything."""
    make_user(csrf_app, "boss", admin=True)
    other = make_user(csrf_app, "ed")
    client = csrf_app.test_client()
    assert sign_in(client, "boss").status_code == 303
    with csrf_app.app_context():
        post = create_post(title="Bridge vote passes", body="Text.")
        db.session.flush()
        db.session.add(Revision(post_id=post.id, snapshot='{"title": "Old", "body": "b"}'))
        reply = Reply(post_id=post.id, name="Ann", email="ann@example.com", body="Hi",
                      body_html="<p>Hi</p>", status="pending")  # fmt: skip
        db.session.add(reply)
        db.session.commit()
        ids = {"post_id": post.id, "reply_id": reply.id, "revision_id": 1, "user_id": other}
    return client, ids


def desk_post_urls(app, ids) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and "POST" in rule.methods:
            values = {name: ids[name] for name in rule.arguments}
            with app.test_request_context():
                urls.append(url_for(rule.endpoint, **values))
    return sorted(urls)


def test_every_desk_post_route_needs_the_token(csrf_app, world):
    client, ids = world
    urls = desk_post_urls(csrf_app, ids)
    assert len(urls) >= 12  # sign-in, sign-out, editor, notes, restore, queue, users, ...
    with csrf_app.app_context():
        before = db.session.scalar(db.select(db.func.count(AuditEntry.id)))
    for url in urls:
        response = client.post(
            url,
            data={"title": "Forged", "body": "Forged", "action": "approve", "text": "x",
                  "kind": "Update", "ids": [str(ids["reply_id"])], "bulk_action": "trash",
                  "username": "forger", "password": "long enough", "role": "admin",
                  "current_password": "x", "new_password": "yyyyyyyyyy", "confirm": "yyyyyyyyyy",
                  "moderation_words": "x", "block_words": "y", "status": "published"},
        )  # fmt: skip
        assert response.status_code == 400, url
        assert "expired" in response.get_data(as_text=True), url
    with csrf_app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == before
        assert db.session.get(Reply, ids["reply_id"]).status == "pending"
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 1
    assert client.get("/admin/").status_code == 200  # and still signed in


def test_the_same_request_with_the_token_works(csrf_app, world):
    client, ids = world
    page = client.get("/admin/replies?status=pending").get_data(as_text=True)
    response = client.post(
        f"/admin/replies/{ids['reply_id']}/moderate",
        data={"action": "approve", "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 303
    with csrf_app.app_context():
        assert db.session.get(Reply, ids["reply_id"]).status == "approved"


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/posts/new",
        "/admin/posts/{post_id}/edit",
        "/admin/revisions/{revision_id}",
        "/admin/replies?status=pending",
        "/admin/import",
        "/admin/users",
        "/admin/settings/words",
        "/admin/account",
    ],
)
def test_every_rendered_desk_form_carries_a_token(world, url):
    client, ids = world
    html = client.get(url.format(**ids)).get_data(as_text=True)
    forms = re.findall(r'<form[^>]*method="post".*?</form>', html, flags=re.S)
    assert forms, url
    for form in forms:
        assert re.search(r'name="csrf_token"[^>]*value="[^"]{20,}"', form), form[:120]
