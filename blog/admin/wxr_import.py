"""Putting a parsed WordPress export into the database, safely repeatable.

WordPress ids are not stored (the schema has no column for them), so an item already imported
is recognised by what cannot change in an export: a post by its slug or headline together with
its publication time, a reply by its post, author name, time and text.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from ..articles import create_post
from ..extensions import db
from ..models import Post, Reply, Revision, User
from ..rendering import render_reply_text
from ..replies.rules import hash_address
from ..wxr import WxrComment, WxrExport, WxrPost
from .editing import snapshot


@dataclass
class ImportResult:
    posts_created: int = 0
    posts_found: int = 0
    replies_created: int = 0
    replies_found: int = 0
    comments_skipped: int = 0


def _moment(gmt: datetime | None, local: datetime | None, zone: ZoneInfo) -> datetime | None:
    """WordPress's GMT time, or its site-local time read in the newsroom's zone."""
    if gmt is not None:
        return gmt
    return local.replace(tzinfo=zone) if local is not None else None


def _existing_post(item: WxrPost, published_at: datetime | None) -> Post | None:
    same_name = (
        or_(Post.title == item.title, Post.slug == item.slug)
        if item.slug
        else (Post.title == item.title)
    )
    query = select(Post).where(same_name)
    if published_at is None:
        query = query.where(Post.published_at.is_(None), Post.body == item.body)
    else:
        query = query.where(Post.published_at == published_at)
    return db.session.scalars(query.limit(1)).first()


def _approved_ancestor(comment: WxrComment, by_id: dict[int, WxrComment]) -> WxrComment | None:
    """The nearest approved comment above this one (a held or deleted parent is skipped)."""
    seen: set[int] = set()
    parent = by_id.get(comment.parent_wp_id)
    while parent is not None and parent.wp_id not in seen:
        if parent.approved == "1":
            return parent
        seen.add(parent.wp_id)
        parent = by_id.get(parent.parent_wp_id)
    return None


def _parents_first(wanted: list[WxrComment], by_id: dict[int, WxrComment]) -> list[WxrComment]:
    """Order comments so each comes after the approved comment it answers."""
    ids = {c.wp_id for c in wanted}
    ordered: list[WxrComment] = []
    placed: set[int] = set()
    pending = list(wanted)
    while pending:
        rest = []
        for comment in pending:
            ancestor = _approved_ancestor(comment, by_id)
            if ancestor is None or ancestor.wp_id in placed or ancestor.wp_id not in ids:
                ordered.append(comment)
                placed.add(comment.wp_id)
            else:
                rest.append(comment)
        if len(rest) == len(pending):  # a loop of parents: keep them as they are
            ordered.extend(rest)
            break
        pending = rest
    return ordered


def _import_comments(
    post: Post, item: WxrPost, zone: ZoneInfo, secret_key: str, max_depth: int, result
) -> None:
    by_id = {c.wp_id: c for c in item.comments}
    wanted = [c for c in item.comments if c.approved == "1" and c.kind in ("", "comment")]
    result.comments_skipped += len(item.comments) - len(wanted)
    when = {
        c.wp_id: _moment(c.created_gmt, c.created_local, zone) or post.created_at for c in wanted
    }
    wanted.sort(key=lambda c: (when[c.wp_id], c.wp_id))
    made: dict[int, Reply] = {}
    for comment in _parents_first(wanted, by_id):
        created = when[comment.wp_id]
        name = (comment.author or "Anonymous")[:100]
        body = comment.text or "(empty)"
        ancestor = _approved_ancestor(comment, by_id)
        parent = made.get(ancestor.wp_id) if ancestor else None
        while parent is not None and parent.depth >= max_depth:
            parent = db.session.get(Reply, parent.parent_id) if parent.parent_id else None
        existing = db.session.scalar(
            select(Reply).where(
                Reply.post_id == post.id,
                Reply.name == name,
                Reply.created_at == created,
                Reply.body == body,
            )
        )
        if existing is not None:
            made[comment.wp_id] = existing
            result.replies_found += 1
            continue
        website = comment.url if comment.url.lower().startswith(("http://", "https://")) else ""
        reply = Reply(
            post_id=post.id,
            parent_id=parent.id if parent else None,
            depth=parent.depth + 1 if parent else 1,
            name=name,
            email=comment.email.strip().lower()[:254],
            website=website[:200],
            body=body,
            body_html=render_reply_text(body),
            status="approved",
            moderation_reason="imported from WordPress",
            created_at=created,
            ip_hash=hash_address(secret_key, comment.ip) if comment.ip else "",
        )
        db.session.add(reply)
        db.session.flush()
        made[comment.wp_id] = reply
        result.replies_created += 1


def import_wxr(
    export: WxrExport, *, timezone: str, secret_key: str, max_depth: int
) -> ImportResult:
    """Add the export's posts and approved comments that are not here yet (caller commits)."""
    zone = ZoneInfo(timezone or "UTC")
    result = ImportResult()
    for item in export.posts:
        published_at = _moment(item.published_gmt, item.published_local, zone)
        if item.status == "draft":
            published_at = None
        post = _existing_post(item, published_at)
        if post is None:
            author = db.session.scalar(
                select(User).where(func.lower(User.username) == item.author_login.lower())
            )
            post = create_post(
                title=item.title[:300],
                body=item.body,
                dek=item.excerpt,
                byline=export.authors.get(item.author_login, item.author_login)[:120],
                status=item.status,
                published_at=published_at,
                slug=item.slug or item.title,
                tags=item.tags,
                author_id=author.id if author else None,
            )
            if published_at is not None:
                post.created_at = post.modified_at = published_at
            db.session.flush()
            db.session.add(Revision(post_id=post.id, snapshot=snapshot(post)))
            result.posts_created += 1
        else:
            result.posts_found += 1
        _import_comments(post, item, zone, secret_key, max_depth, result)
    return result
