"""The queries reader pages make, kept apart so every page asks the same way."""

from flask import abort, request
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Contradiction, Post, Tag


def public_posts() -> Select:
    """Published (or due scheduled) posts, newest first, with their tags loaded."""
    return (
        select(Post)
        .where(Post.is_public_clause())
        .order_by(Post.published_at.desc(), Post.id.desc())
        .options(selectinload(Post.tags))
    )


def public_post_or_404(slug: str) -> Post:
    """The public post with this slug and every structured part, or 404."""
    post = db.session.scalar(
        select(Post)
        .where(Post.slug == slug, Post.is_public_clause())
        .options(
            selectinload(Post.key_points),
            selectinload(Post.contradictions).selectinload(Contradiction.sources),
            selectinload(Post.sources),
            selectinload(Post.tags),
            selectinload(Post.corrections),
        )
    )
    if post is None:
        abort(404)
    return post


def tag_or_404(slug: str) -> Tag:
    """The tag with this slug, or 404."""
    tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
    if tag is None:
        abort(404)
    return tag


MAX_PAGE = 1_000_000


def requested_page() -> int:
    """The ?page=N number; anything but a whole number from 1 to a million is 404."""
    raw = request.args.get("page", "1")
    if not raw.isdigit() or len(raw) > 7 or not 1 <= int(raw) <= MAX_PAGE:
        abort(404)
    return int(raw)


def paginate(query: Select, per_page: int):
    """A page of results from ?page=N; a page past the last, or a bad number, is 404."""
    return db.paginate(
        query, page=requested_page(), per_page=per_page, max_per_page=per_page, error_out=True
    )
