"""Telling the desk about held replies by email, without ever slowing or risking the reply."""

import threading
from collections.abc import Callable
from email.message import EmailMessage

from flask import Flask, url_for

from ..models import Post, Reply

_pending_sends: list[threading.Thread] = []


def build_message(app: Flask, post: Post, reply: Reply, queue_url: str) -> EmailMessage:
    """The plain-text note: which post, why the reply is held, where to review it."""
    message = EmailMessage()
    message["Subject"] = f"[{app.config['SITE_NAME']}] Reply held for review: {post.title}"
    message["From"] = app.config.get("MAIL_FROM") or f"newsroom@{app.config.get('MAIL_SERVER')}"
    message["To"] = app.config["MODERATION_EMAIL"]
    message.set_content(
        f'A reply on "{post.title}" is waiting for review.\n\n'
        f"From: {reply.name}\n"
        f"Held because: {reply.moderation_reason or 'moderation rules'}\n\n"
        f"{reply.body}\n\n"
        f"Review it in the moderation queue:\n{queue_url}\n"
    )
    return message


def _send(host: str, port: int, message: EmailMessage, app: Flask) -> None:
    import smtplib  # here: most sites never email the desk, so workers skip loading it

    try:
        with smtplib.SMTP(host, port, timeout=10) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        app.logger.warning("could not send the moderation email: %s", error)


def desk_is_emailed(app: Flask) -> bool:
    """Whether held replies are emailed at all (a mail server and an address are set)."""
    return bool(app.config.get("MAIL_SERVER") and app.config.get("MODERATION_EMAIL"))


def notify_held_reply(app: Flask, post: Post | Callable[[], Post], reply: Reply) -> None:
    """Send one email per held reply in the background; a dead mail server costs nothing.

    `post` may be a loader, called only when an email is really sent."""
    if not desk_is_emailed(app) or reply.status != "pending":
        return
    host = app.config["MAIL_SERVER"]
    post = post() if callable(post) else post
    queue_url = url_for("admin.replies", status="pending", _external=True)
    message = build_message(app, post, reply, queue_url)
    thread = threading.Thread(
        target=_send, args=(host, int(app.config.get("MAIL_PORT", 25)), message, app), daemon=True
    )
    thread.start()
    _pending_sends.append(thread)
    _pending_sends[:] = [t for t in _pending_sends if t.is_alive()]


def wait_for_sends(timeout: float = 15) -> None:
    """Let outstanding emails finish (tests and shutdown)."""
    for thread in list(_pending_sends):
        thread.join(timeout)
