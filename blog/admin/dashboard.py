"""The desk's front page: what needs attention now."""

from flask import render_template
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Post, Reply


def index():
    """Pending replies, drafts, scheduled posts and the newest posts, each a link."""
    now = clock.now()
    pending_count = db.session.scalar(select(func.count(Reply.id)).where(Reply.status == "pending"))
    pending = db.session.scalars(
        select(Reply).where(Reply.status == "pending").order_by(Reply.created_at.desc()).limit(5)
    ).all()
    drafts = db.session.scalars(
        select(Post).where(Post.status == "draft").order_by(Post.modified_at.desc()).limit(10)
    ).all()
    scheduled = db.session.scalars(
        select(Post)
        .where(Post.status.in_(("scheduled", "published")), Post.published_at > now)
        .order_by(Post.published_at)
        .limit(10)
    ).all()
    newest = db.session.scalars(
        select(Post).where(Post.is_public_clause(now)).order_by(Post.published_at.desc()).limit(10)
    ).all()
    return render_template(
        "admin/dashboard.html",
        pending=pending,
        pending_count=pending_count,
        drafts=drafts,
        scheduled=scheduled,
        newest=newest,
    )
