"""A portable JSON copy of the site's content: posts with their parts, replies, tags."""

import json
import os
from pathlib import Path

from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Post, Reply, Tag
from .editing import contradiction_line


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _post(post: Post) -> dict:
    return {
        "id": post.id,
        "title": post.title,
        "slug": post.slug,
        "dek": post.dek,
        "dateline": post.dateline,
        "byline": post.byline,
        "body": post.body,
        "status": post.status,
        "published_at": _iso(post.published_at),
        "updated_at": _iso(post.updated_at),
        "created_at": _iso(post.created_at),
        "modified_at": _iso(post.modified_at),
        "replies_open": post.replies_open,
        "author": post.author.username if post.author else None,
        "tags": [t.slug for t in post.tags],
        "key_points": [p.text for p in post.key_points],
        "sources": [{"name": s.name, "url": s.url} for s in post.sources],
        "contradictions": [contradiction_line(c) for c in post.contradictions],
        "corrections": [
            {"kind": c.kind, "text": c.text, "created_at": _iso(c.created_at)}
            for c in post.corrections
        ],
    }


def _reply(reply: Reply, include_emails: bool) -> dict:
    data = {
        "id": reply.id,
        "post_id": reply.post_id,
        "parent_id": reply.parent_id,
        "name": reply.name,
        "website": reply.website,
        "body": reply.body,
        "status": reply.status,
        "created_at": _iso(reply.created_at),
        "edited_at": _iso(reply.edited_at),
        "staff": reply.user_id is not None,
    }
    if include_emails:
        data["email"] = reply.email
    return data


def build_export(include_emails: bool = True) -> dict:
    """Everything readers wrote and staff published, as plain JSON-ready data."""
    posts = db.session.scalars(select(Post).order_by(Post.id)).all()
    replies = db.session.scalars(select(Reply).order_by(Reply.id)).all()
    tags = db.session.scalars(select(Tag).order_by(Tag.name)).all()
    return {
        "format": "newsroom-blog-export/1",
        "exported_at": clock.now().isoformat(),
        "emails_included": include_emails,
        "tags": [{"name": t.name, "slug": t.slug} for t in tags],
        "posts": [_post(p) for p in posts],
        "replies": [_reply(r, include_emails) for r in replies],
    }


def write_export(dest: Path, include_emails: bool = True) -> dict:
    """Write the export next to DEST, then move it into place (never a half-written file)."""
    data = build_export(include_emails)
    partial = dest.with_name(dest.name + ".partial")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(partial, dest)
    return data
