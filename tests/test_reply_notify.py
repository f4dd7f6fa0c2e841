"""The desk's email about held replies, against a real SMTP server on loopback."""

import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from blog.articles import create_post
from blog.extensions import db
from blog.models import Post, Reply
from blog.replies.notify import wait_for_sends
from tests.conftest import REPLY_DEFAULTS, reply_form_fields


class Inbox:
    """Keeps every message the SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode("utf-8"))
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def _send(app, body: str, **fields):
    client = app.test_client()
    with app.app_context():
        slug = db.session.scalar(select(Post.slug))
    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    data = {**reply_form_fields(page), **REPLY_DEFAULTS, "body": body, **fields}
    return client.post(f"/posts/{slug}/replies", data=data)


def _app_with_post(make_app, **config):
    app = make_app(**config)
    with app.app_context():
        create_post(title="Mailed story", body="b")
        db.session.commit()
    return app


def test_each_held_reply_sends_one_plain_text_email(make_app, smtp_server):
    port, inbox = smtp_server
    app = _app_with_post(
        make_app,
        REPLY_MODERATION="all",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MODERATION_EMAIL="desk@example.com",
    )
    assert _send(app, "Please review me").status_code == 303
    wait_for_sends()
    assert len(inbox.messages) == 1
    sender, recipients, content = inbox.messages[0]
    assert recipients == ["desk@example.com"]
    assert "Content-Type: text/plain" in content
    assert "Mailed story" in content
    assert "every reply is held for review" in content
    assert "Please review me" in content
    assert "http://localhost/admin/replies?status=pending" in content


def test_approved_replies_send_no_email(make_app, smtp_server):
    port, inbox = smtp_server
    app = _app_with_post(
        make_app,
        REPLY_MODERATION="none",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MODERATION_EMAIL="desk@example.com",
    )
    assert _send(app, "Straight through").status_code == 303
    wait_for_sends()
    assert inbox.messages == []


def test_a_dead_mail_server_never_loses_the_reply(make_app):
    app = _app_with_post(
        make_app,
        REPLY_MODERATION="all",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=free_port(),  # nothing listens here
        MODERATION_EMAIL="desk@example.com",
    )
    response = _send(app, "Kept despite the mail outage")
    assert response.status_code == 303
    wait_for_sends()
    with app.app_context():
        [reply] = db.session.scalars(select(Reply))
        assert reply.body == "Kept despite the mail outage"
        assert reply.status == "pending"
