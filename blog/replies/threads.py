"""Building the reply thread of an article and rendering the article page around it."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import abort, current_app, render_template, request
from markupsafe import Markup
from sqlalchemy import or_, select

from .. import clock, page_cache
from ..csrf import generate_csrf
from ..extensions import cache, db
from ..models import Post, Reply
from ..posts.queries import load_parts
from . import form_token
from .forms import ReplyForm
from .ownership import own_reply_ids, remembered_author
from .rules import replies_closed

# Stands where the form goes in the cached page; the form is rendered for each request.
FORM_SLOT = "<!--reply-form-slot-7f3a-->"
CSRF_SLOT = "csrf-token-slot-7f3a"
STAMP_SLOT = "form-stamp-slot-7f3a"


@dataclass
class ThreadNode:
    reply: Reply
    children: list["ThreadNode"] = field(default_factory=list)
    is_own: bool = False


def visible_replies(post: Post, own_ids: set[int]) -> list[Reply]:
    """Approved replies, plus this browser's own pending or spam-held ones, oldest first."""
    condition = Reply.status == "approved"
    if own_ids:
        condition = or_(
            condition,
            (Reply.id.in_(own_ids)) & Reply.status.in_(("pending", "spam")),
        )
    return list(
        db.session.scalars(
            select(Reply)
            .where(Reply.post_id == post.id, condition)
            .order_by(Reply.created_at, Reply.id)
        )
    )


def shown_reply_count(replies: list[Reply]) -> int:
    """The count in the replies heading: approved replies still standing (not own pending)."""
    return sum(1 for r in replies if r.status == "approved" and not r.withdrawn_at)


def build_thread(replies: list[Reply], own_ids: set[int]) -> list[ThreadNode]:
    """Nest replies under their parents; one whose parent is hidden stands at the top level."""
    nodes = {r.id: ThreadNode(r, is_own=r.id in own_ids) for r in replies}
    roots: list[ThreadNode] = []
    for reply in replies:
        node = nodes[reply.id]
        parent = nodes.get(reply.parent_id) if reply.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def new_reply_form(post: Post) -> ReplyForm:
    """A blank form for this article, prefilled from 'remember me' and ?reply_to=."""
    form = ReplyForm(formdata=None)
    saved = remembered_author()
    if saved:
        form.name.data = saved.get("name", "")
        form.email.data = saved.get("email", "")
        form.website.data = saved.get("website", "")
        form.remember.data = True
    reply_to = request.args.get("reply_to", "")
    if reply_to.isdigit() and len(reply_to) < 19:
        form.parent_id = reply_to
    return form


def _shared_view(own_ids: set[int]) -> bool:
    """The page is the same for every reader like this one: no own replies, flashes or staff."""
    return not own_ids and not request.args and page_cache.shared_view()


def _blank_form_html(post: Post) -> str:
    """The empty reply form with stand-ins where each view's two tokens go."""
    form = ReplyForm(formdata=None)
    form.csrf_stand_in = CSRF_SLOT
    form.form_token = STAMP_SLOT
    return render_template(
        "replies/_form.html", post=post, form=form, replying_to=None, form_message=None
    )


def _render_shared_parts(post: Post, closed: bool) -> tuple:
    """(before the form, after it, the blank form): the page every reader like this one gets.

    A page with replies closed has no form: the tuple holds the whole page alone. The page
    around the form is kept as UTF-8 bytes: encoding 40 KB of text with a few non-ASCII
    characters took a tenth of a cached view. A tuple, because the page cache may hand this
    very object to every later reader.
    """
    load_parts(post)
    replies = visible_replies(post, set())
    page = render_template(
        "posts/article.html",
        post=post,
        thread=build_thread(replies, set()),
        form_slot=Markup(FORM_SLOT),
        replies_closed=closed,
        reply_count=shown_reply_count(replies),
        max_depth=current_app.config["REPLY_MAX_DEPTH"],
    )
    parts = tuple(part.encode() for part in page.split(FORM_SLOT))
    if len(parts) == 2:
        parts += (_blank_form_html(post),)
    return parts


def _with_form(parts: tuple, form_html: str) -> bytes:
    """The cached page around this view's form."""
    return parts[0] + form_html.encode() + parts[1]


def render_article_page(slug: str):
    """GET /posts/<slug>. Most readers cost one statement and a cache hit; the cache is keyed
    by versions the database bumps on every change the page shows, so it is never stale."""
    own_ids = own_reply_ids()
    if not _shared_view(own_ids):
        return render_article(page_cache.public_post_or_404(slug))
    state = page_cache.public_article_state(slug)
    if state is None:
        abort(404)
    closed = replies_closed(state, clock.now(), current_app.config.get("REPLY_CLOSE_AFTER_DAYS"))
    seen = {page_cache.SITE_WIDE: state.site_version, state.id: state.version}
    key = page_cache.article_key(state.id, closed, seen)
    parts = cache.get(key)
    if parts is None:
        parts = _render_shared_parts(page_cache.public_post_or_404(slug), closed)
        cache.set(key, parts)
    if len(parts) == 1:
        return parts[0]
    form_html = _fresh_form_html(lambda: page_cache.public_post_or_404(slug), parts[2])
    return _with_form(parts, form_html)


def _shared_parts(post: Post, closed: bool) -> tuple:
    """The shared parts for a post already loaded (the form coming back, say)."""
    key = page_cache.article_key(post.id, closed)
    parts = cache.get(key)
    if parts is None:
        parts = _render_shared_parts(post, closed)
        cache.set(key, parts)
    return parts


def _fresh_form_html(post: Post | Callable[[], Post], blank: str) -> str:
    """This view's form: the cached blank one with new tokens, or rendered for a returning
    reader whose details the 'remember me' box kept (`post` may be a loader, called then)."""
    if not remembered_author():
        html = blank.replace(STAMP_SLOT, form_token.issue())
        return html.replace(CSRF_SLOT, generate_csrf()) if CSRF_SLOT in html else html
    post = post() if callable(post) else post
    form = new_reply_form(post)
    form.form_token = form_token.issue()
    return render_template(
        "replies/_form.html", post=post, form=form, replying_to=None, form_message=None
    )


def render_article(
    post: Post,
    form: ReplyForm | None = None,
    status: int = 200,
    form_message: str | None = None,
):
    """The article page; a form coming back with errors keeps everything the reader typed."""
    own_ids = own_reply_ids()
    if form is None and _shared_view(own_ids):
        closed = replies_closed(post, clock.now(), current_app.config.get("REPLY_CLOSE_AFTER_DAYS"))
        parts = _shared_parts(post, closed)
        if len(parts) == 1:  # replies closed: no form on the page
            return parts[0], status
        return _with_form(parts, _fresh_form_html(post, parts[2])), status
    load_parts(post)
    replies = visible_replies(post, own_ids)
    thread = build_thread(replies, own_ids)
    if form is None:
        form = new_reply_form(post)
    # Every render gets a fresh stamp: the nonce names this render for double-click detection.
    form.form_token = form_token.issue()
    parent = None
    if form.parent_id.isdigit():
        parent = next((r for r in replies if r.id == int(form.parent_id)), None)
        if parent is None or parent.status != "approved":
            form.parent_id = ""
            parent = None
    closed = replies_closed(post, clock.now(), current_app.config.get("REPLY_CLOSE_AFTER_DAYS"))
    body = render_template(
        "posts/article.html",
        post=post,
        thread=thread,
        form=form,
        replying_to=parent,
        replies_closed=closed,
        reply_count=shown_reply_count(replies),
        form_message=form_message,
        max_depth=current_app.config["REPLY_MAX_DEPTH"],
        edit_cutoff=clock.now() - timedelta(minutes=int(current_app.config["REPLY_EDIT_MINUTES"])),
    )
    return body, status
