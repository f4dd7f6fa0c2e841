"""The reply moderation queue: filter, search, act one by one or in bulk, answer as staff."""

from bisect import bisect_left

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from .. import clock
from ..extensions import db
from ..models import REPLY_STATUSES, Post, Reply
from ..rendering import render_reply_text
from .access import record, safe_next
from .forms import StaffReplyForm

ACTIONS = {"approve": "approved", "spam": "spam", "trash": "trash", "pending": "pending"}
PER_PAGE = 50


def _queue_url() -> str:
    """Where to go back after an action: the queue page the form was on."""
    back = safe_next(request.form.get("back"), url_for("admin.replies"))
    return back if back.startswith(url_for("admin.replies")) else url_for("admin.replies")


def _chosen_action() -> str | None:
    """The button pressed: `action=approve`, or a control literally named Approve/Spam/Trash."""
    value = (request.form.get("action") or "").strip().lower()
    if value in ACTIONS:
        return value
    for name in ("Approve", "Spam", "Trash"):
        if name in request.form or name.lower() in request.form:
            return name.lower()
    return None


def set_status(reply: Reply, action: str) -> bool:
    """Apply a moderation action and log it; False when nothing changed."""
    new_status = ACTIONS[action]
    if reply.status == new_status:
        return False
    old = reply.status
    reply.status = new_status
    record(f"reply-{action}", f"reply:{reply.id}", f"{old} -> {new_status}")
    return True


def _earlier_counts(rows: list[Reply]) -> dict[int, int]:
    """For each reply, how many replies the same reader (by email) sent before it: one query
    for the page's readers, counted here, instead of one query a row."""
    emails = {r.email for r in rows if r.email}
    times: dict[str, list] = {}
    if emails:
        found = db.session.execute(
            select(Reply.email, Reply.created_at).where(Reply.email.in_(emails))
        )
        for email, created_at in found:
            times.setdefault(email, []).append(created_at)
    for stamps in times.values():
        stamps.sort()
    return {
        r.id: bisect_left(times[r.email], r.created_at) if r.email in times else 0 for r in rows
    }


def replies():
    """The queue: pending replies by default; filter by status and post, search name or email."""
    status = request.args.get("status", "pending")
    if status not in REPLY_STATUSES and status != "all":
        status = "pending"
    post_id = request.args.get("post", type=int)
    search = (request.args.get("q") or "").strip()[:200]

    query = (
        select(Reply)
        .options(selectinload(Reply.post))
        .order_by(Reply.created_at.desc(), Reply.id.desc())
    )
    if status != "all":
        query = query.where(Reply.status == status)
    if post_id:
        query = query.where(Reply.post_id == post_id)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(func.lower(Reply.name).like(pattern), func.lower(Reply.email).like(pattern))
        )
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    counts = dict(
        db.session.execute(select(Reply.status, func.count(Reply.id)).group_by(Reply.status)).all()
    )
    posts_with_replies = db.session.scalars(
        select(Post).where(Post.id.in_(select(Reply.post_id).distinct())).order_by(Post.title)
    ).all()
    return render_template(
        "admin/replies.html",
        page=page,
        status=status,
        post_id=post_id,
        search=search,
        counts=counts,
        posts=posts_with_replies,
        earlier=_earlier_counts(list(page.items)),
        statuses=REPLY_STATUSES,
        reply_form=StaffReplyForm(formdata=None),
        max_depth=int(current_app.config["REPLY_MAX_DEPTH"]),
        back=request.full_path.rstrip("?"),
    )


def moderate(reply_id: int):
    """Approve, mark as spam or trash one reply."""
    reply = db.session.get(Reply, reply_id)
    if reply is None:
        abort(404)
    action = _chosen_action()
    if action is None:
        abort(400, "Choose Approve, Spam or Trash.")
    if set_status(reply, action):
        db.session.commit()
        flash(f"Reply by {reply.name} is now {reply.status}.", "info")
    return redirect(_queue_url(), code=303)


def bulk_moderate():
    """Apply one action to every ticked reply."""
    action = (request.form.get("bulk_action") or "").strip().lower() or _chosen_action()
    if action not in ACTIONS:
        abort(400, "Choose Approve, Spam or Trash.")
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit()][:500]
    if not ids:
        flash("Tick at least one reply first.", "error")
        return redirect(_queue_url(), code=303)
    changed = 0
    for reply in db.session.scalars(select(Reply).where(Reply.id.in_(ids))):
        changed += set_status(reply, action)
    db.session.commit()
    flash(f"{changed} {'reply' if changed == 1 else 'replies'} now {ACTIONS[action]}.", "info")
    return redirect(_queue_url(), code=303)


def answer(reply_id: int):
    """Reply to a reader as the signed-in staff member (approving a held reply first)."""
    parent = db.session.get(Reply, reply_id)
    if parent is None or parent.status in ("spam", "trash"):
        abort(404)
    form = StaffReplyForm()
    if not form.validate():
        flash("Your reply was empty or too long (10,000 characters at most).", "error")
        return redirect(_queue_url(), code=303)
    max_depth = int(current_app.config["REPLY_MAX_DEPTH"])
    if parent.depth >= max_depth:
        flash(f"That conversation is already {max_depth} replies deep.", "error")
        return redirect(_queue_url(), code=303)
    if parent.status == "pending":
        set_status(parent, "approve")
    body = form.body.data.replace("\r\n", "\n").strip()
    staff_reply = Reply(
        post_id=parent.post_id,
        parent_id=parent.id,
        depth=parent.depth + 1,
        name=current_user.shown_name,
        email="",
        body=body,
        body_html=render_reply_text(body),
        status="approved",
        moderation_reason="written by newsroom staff",
        created_at=clock.now(),
        user_id=current_user.id,
    )
    db.session.add(staff_reply)
    db.session.flush()
    record("reply-answer", f"reply:{staff_reply.id}", f"answer to reply {parent.id}")
    db.session.commit()
    flash(f"Your reply to {parent.name} is published.", "info")
    return redirect(_queue_url(), code=303)
