"""The queries reader pages make, kept apart so every page asks the same way."""

import math
from dataclasses import dataclass
from functools import cache

from flask import abort, request
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import lazyload, selectinload

from .. import page_cache
from ..extensions import db
from ..models import Contradiction, Post, Tag
from ..plain_sql import PlainSelect


def newest_public(*columns) -> Select:
    """`columns` of the published (or due scheduled) posts, newest first."""
    return (
        select(*columns)
        .where(Post.is_public_clause())
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def public_posts() -> Select:
    """Published (or due scheduled) posts, newest first, with their tags loaded."""
    return newest_public(Post).options(selectinload(Post.tags))


@cache
def article_parts() -> tuple:
    """The loader options for every structured part of an article.

    Built on first use, not at import: the first loader option makes SQLAlchemy configure
    every mapper (about 16 ms), which a worker need not do before it can answer at all.
    """
    return (
        selectinload(Post.key_points),
        selectinload(Post.contradictions).selectinload(Contradiction.sources),
        selectinload(Post.sources),
        selectinload(Post.tags),
        selectinload(Post.corrections),
    )


def public_post_or_404(slug: str) -> Post:
    """The public post with this slug, or 404 (one statement: its parts load on demand)."""
    post = db.session.scalar(select(Post).where(Post.slug == slug, Post.is_public_clause()))
    if post is None:
        abort(404)
    return post


def load_parts(post: Post) -> Post:
    """Load every structured part of the post in a fixed number of statements (no N+1)."""
    db.session.scalars(select(Post).where(Post.id == post.id).options(*article_parts())).one()
    return post


def tag_or_404(slug: str) -> Tag:
    """The tag with this slug, or 404."""
    tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
    if tag is None:
        abort(404)
    return tag


_TAG_ID = PlainSelect(select(Tag.id).where(Tag.slug == bindparam("slug")))


def tag_id_or_404(slug: str) -> int:
    """Only the id of the tag with this slug, or 404: all a cached tag page needs, as a plain
    statement (loading the Tag through the Session cost more than the rest of the page)."""
    row = _TAG_ID.first(slug=slug)
    if row is None:
        abort(404)
    return row.id


MAX_PAGE = 1_000_000


def requested_page() -> int:
    """The ?page=N number; anything but a whole number from 1 to a million is 404."""
    raw = request.args.get("page", "1")
    if not raw.isdigit() or len(raw) > 7 or not 1 <= int(raw) <= MAX_PAGE:
        abort(404)
    return int(raw)


@dataclass
class Page:
    """One page of a list, with what the pagination links need."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def __iter__(self):
        return iter(self.items)


def paginate(query: Select, per_page: int, count_scope: str | None = None):
    """A page of results from ?page=N; a page past the last, or a bad number, is 404.

    With a `count_scope` the total comes from the page cache (recounted only after a post
    changes or comes due), so a list of 100,000 posts costs no COUNT per view.
    """
    number = requested_page()
    if count_scope is None:
        return db.paginate(
            query, page=number, per_page=per_page, max_per_page=per_page, error_out=True
        )
    items = list(db.session.scalars(query.limit(per_page).offset((number - 1) * per_page)))
    if not items and number != 1:
        abort(404)

    def count() -> int:
        counted = query.options(lazyload("*")).order_by(None).subquery()
        return db.session.scalar(select(func.count()).select_from(counted))

    return Page(items, number, per_page, page_cache.cached_count(count_scope, count))
