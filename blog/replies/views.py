"""Reply endpoints: wiring the request to the rules in rules.py and back to a response."""

import time
from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from .. import clock, moderation_settings
from ..auth import staff_signed_in
from ..extensions import db
from ..models import Post, Reply, reply_anchor
from ..plain_sql import PlainInsert
from ..posts import queries as _posts  # noqa: F401  (blog.posts imports .threads: load it first)
from ..rendering import render_reply_text
from . import form_token, notify, rules
from .forms import HONEYPOT_FIELD, EditReplyForm, ReplyForm
from .ownership import forget_author, own_reply_ids, remember_own_reply, set_remembered_author
from .threads import render_article

bp = Blueprint("replies", __name__)

_COLUMNS = (
    "post_id", "parent_id", "depth", "name", "email", "website", "body", "body_html", "status",
    "moderation_reason", "created_at", "ip_hash", "form_nonce", "user_id",
)  # fmt: skip
# The reply POST's one write: a single INSERT committed on its own (see plain_sql).
_INSERT_REPLY = PlainInsert(
    insert(Reply).values({name: bindparam(name) for name in _COLUMNS}).returning(Reply.id)
)


EXPIRED_MESSAGE = (
    "This form expired before it was sent, so nothing was saved. Your text is still below: "
    "please send it again."
)


def _article_path(slug: str) -> str:
    """url_for("posts.article", slug=slug), built once per slug and mount point: replies
    come in bursts on a few articles, and building the address was 2% of a reply POST."""
    known = current_app.extensions.setdefault("article_paths", {})
    key = (request.script_root, slug)
    path = known.get(key)
    if path is None:
        if len(known) >= 1000:
            known.clear()
        path = known[key] = url_for("posts.article", slug=slug)
    return path


def _redirect_to_reply(reply_id: int, slug: str):
    response = redirect(f"{_article_path(slug)}#{reply_anchor(reply_id)}", code=303)
    remember_own_reply(response, reply_id)
    return response


def _form_back(post_id: int, form: ReplyForm, status: int, message: str, headers=None):
    """The article again with the reader's text in the form and a message above it."""
    body, _ = render_article(
        db.session.get(Post, post_id), form=form, status=status, form_message=message
    )
    response = make_response(body, status)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


@bp.post("/posts/<slug>/replies")
def create(slug: str):
    """Accept a reader's reply: 303 to it, or the form back with a reason and the text kept.

    Every read comes first, in one plain statement (the post and the earlier replies the rules
    look at); the one write is a single INSERT, then COMMIT.
    """
    config = current_app.config
    form_data = request.form
    stamp = form_token.read(form_data.get("form_token"))
    nonce = stamp.nonce if stamp else None
    post, history = rules.post_and_history(
        slug, nonce, form_data.get("name", ""), form_data.get("email", "")
    )
    if post is None:
        abort(404)
    now = clock.now()
    if rules.replies_closed(post, now, config.get("REPLY_CLOSE_AFTER_DAYS")):
        abort(403, "Replies are closed on this article.")
    parent_ok, parent = rules.find_parent(post.id, form_data.get("parent_id"))
    if not parent_ok:
        abort(404, "The reply you are answering does not exist or is not public.")

    form = ReplyForm()
    form_age = time.time() - stamp.rendered_at if stamp else None
    if form_age is not None and form_age > config["REPLY_FORM_MAX_AGE_SECONDS"]:
        return _form_back(post.id, form, 400, EXPIRED_MESSAGE)
    if not form.validate():
        return _form_back(post.id, form, 422, "Please correct the marked fields; nothing was lost.")
    depth = rules.depth_for(parent)
    if depth > config["REPLY_MAX_DEPTH"]:
        form.form_errors.append(
            f"This conversation is already {config['REPLY_MAX_DEPTH']} replies deep. "
            "Please answer an earlier reply instead."
        )
        return _form_back(post.id, form, 422, "Please correct the marked fields; nothing was lost.")

    name, email = form.name.data, form.email.data.lower()
    website, body = form.website.data or "", form.body.data.replace("\r\n", "\n")
    earlier = history.earlier_send(body)
    if earlier is not None:
        return _redirect_to_reply(earlier, slug)

    duplicate = history.duplicate(body)
    if duplicate is not None:
        link = url_for("posts.article", slug=slug, _anchor=reply_anchor(duplicate))
        message = Markup(
            'You already sent this reply. <a href="{}">See the earlier one</a>.'
        ).format(link)
        return _form_back(post.id, form, 409, message)

    is_staff = staff_signed_in()
    ip_hash = rules.hash_address(config["SECRET_KEY"], request.remote_addr)
    if not is_staff:
        wait = rules.flood_wait_seconds(ip_hash, email, now, int(config["REPLY_FLOOD_SECONDS"]))
        if wait:
            message = (
                f"You are replying too quickly. Please wait {wait} seconds, then send again; "
                "your text is kept below."
            )
            return _form_back(post.id, form, 429, message, {"Retry-After": str(wait)})

    texts = [name, email, website, body]
    word_lists = moderation_settings.all_words(post.site_version)
    verdict = rules.decide(
        trap=rules.trap_reason(
            honeypot=form_data.get(HONEYPOT_FIELD, "").strip(),
            form_age_seconds=form_age,
            min_seconds=float(config["REPLY_MIN_SECONDS"]),
            block_words=word_lists["REPLY_BLOCK_WORDS"],
            texts=texts,
        ),
        hold=rules.hold_reason(
            body=body,
            max_links=int(config["REPLY_MAX_LINKS"]),
            moderation_words=word_lists["REPLY_MODERATION_WORDS"],
            texts=texts,
        ),
        mode=config["REPLY_MODERATION"],
        is_staff=is_staff,
        email_approved=history.email_approved,
    )
    values = {
        "post_id": post.id,
        "parent_id": parent.id if parent else None,
        "depth": depth,
        "name": name,
        "email": email,
        "website": website,
        "body": body,
        "body_html": render_reply_text(body),
        "status": verdict.status,
        "moderation_reason": verdict.reason,
        "created_at": now,
        "ip_hash": ip_hash,
        "form_nonce": nonce,
        "user_id": current_user.id if is_staff else None,
    }
    try:
        reply_id = _INSERT_REPLY.first(**values).id
    except IntegrityError:
        # Two clicks raced: the other request stored this very form first.
        earlier = rules.post_and_history(slug, nonce, name, email)[1].earlier_send(body)
        if earlier is None:
            raise
        return _redirect_to_reply(earlier, slug)

    app = current_app._get_current_object()
    if verdict.status == "pending" and notify.desk_is_emailed(app):
        reply = Reply(id=reply_id, **values)  # for the email; never added to the session
        notify.notify_held_reply(app, lambda: db.session.get(Post, post.id), reply)
    response = _redirect_to_reply(reply_id, slug)
    if form.remember.data:
        set_remembered_author(response, name, email, website)
    else:
        forget_author(response)
    return response


def _own_reply_in_window(reply_id: int) -> Reply:
    """The reply, if this browser sent it and the edit window is still open; else 404/403."""
    reply = db.session.get(Reply, reply_id)
    if reply is None or reply.status == "trash" or reply.withdrawn_at:
        abort(404)
    if reply.id not in own_reply_ids():
        abort(403, "Only the browser that sent a reply can edit or withdraw it.")
    minutes = int(current_app.config["REPLY_EDIT_MINUTES"])
    if clock.now() > reply.created_at + timedelta(minutes=minutes):
        abort(
            403,
            f"Replies can be edited or withdrawn for {minutes} minutes after sending; "
            "that time has passed for this one.",
        )
    return reply


@bp.route("/replies/<int:reply_id>/edit", methods=["GET", "POST"])
def edit(reply_id: int):
    """Let the author change their reply's text within the edit window."""
    reply = _own_reply_in_window(reply_id)
    post = reply.post
    form = EditReplyForm(data={"body": reply.body} if request.method == "GET" else None)
    if request.method == "POST":
        if not form.validate():
            return render_template("replies/edit.html", form=form, reply=reply, post=post), 422
        body = form.body.data.replace("\r\n", "\n")
        reply.body = body
        reply.body_html = render_reply_text(body)
        reply.edited_at = clock.now()
        hold = rules.hold_reason(
            body=body,
            max_links=int(current_app.config["REPLY_MAX_LINKS"]),
            moderation_words=moderation_settings.words("REPLY_MODERATION_WORDS"),
            texts=[reply.name, reply.email, reply.website, body],
        )
        if hold and reply.status == "approved" and reply.user_id is None:
            reply.status, reply.moderation_reason = "pending", f"edited: {hold}"
        db.session.commit()
        return _redirect_to_reply(reply.id, post.slug)
    return render_template("replies/edit.html", form=form, reply=reply, post=post)


@bp.post("/replies/<int:reply_id>/withdraw")
def withdraw(reply_id: int):
    """Withdraw a reply: answers under it keep a placeholder, otherwise it disappears."""
    reply = _own_reply_in_window(reply_id)
    slug = reply.post.slug
    has_answers = db.session.scalar(
        select(Reply.id).where(Reply.parent_id == reply.id, Reply.status != "trash").limit(1)
    )
    reply.withdrawn_at = clock.now()
    if not has_answers:
        reply.status = "trash"
        reply.moderation_reason = "withdrawn by its author"
    db.session.commit()
    anchor = reply.anchor if has_answers else "replies"
    return redirect(url_for("posts.article", slug=slug, _anchor=anchor), code=303)


@bp.app_errorhandler(CSRFError)
def form_expired(error: CSRFError):
    """A missing or stale CSRF token: say the form expired and give the typed text back."""
    if request.endpoint == "replies.create":
        slug = (request.view_args or {}).get("slug", "")
        post = db.session.scalar(select(Post).where(Post.slug == slug, Post.is_public_clause()))
        if post is not None:
            form = ReplyForm()
            return _form_back(post.id, form, 400, EXPIRED_MESSAGE)
    kept = {k: v for k, v in request.form.items() if k in ("body", "name", "website", "title")}
    return (
        render_template("errors/expired.html", kept=kept, message=escape(EXPIRED_MESSAGE)),
        400,
    )
