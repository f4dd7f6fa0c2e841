"""Benchmark datasets: a seed-like article with 50 threaded replies, plus bulk filler.

The filler goes in with Core executemany in large batches (one statement per batch, no ORM
objects), so 100,000 posts and 1,000,000 replies take minutes, not hours.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from markupsafe import escape
from sqlalchemy import func, insert, select, text

from blog import create_app
from blog.articles import create_post, tags_named
from blog.database import upgrade_schema
from blog.extensions import db
from blog.models import Post, Reply, Tag, post_tag
from blog.rendering import render_reply_text
from blog.wire import parse_wire_article

SEED_FILE = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_0e5c6ea36a4d1198.txt"
FEATURED_SLUG = "bench-featured-article"
OPEN_THREAD_SLUG = "bench-open-thread"
TAG_NAMES = [
    "Council",
    "Transport",
    "Schools",
    "Health",
    "Business",
    "Courts",
    "Weather",
    "Sport",
    "Culture",
    "Housing",
]
BENCH_TAG_SLUG = "council"
SEARCH_WORD = "bridge"
BATCH = 20_000

_WORDS = (
    "council bridge river market school budget library station housing court weather harbour "
    "ferry clinic museum festival road parking rail bus farm water power vote plan report "
    "residents traders teachers nurses drivers engineers owners tenants visitors volunteers"
).split()

_REPLY_LINES = [
    "I was at the meeting and the mood in the gallery was far calmer than last year.",
    "Does anyone know whether the figures include the cost of maintenance?",
    "My street floods every spring, so I read this with some interest.",
    "Good to see the numbers set out plainly for once.",
    "The report linked above says something slightly different about the timing.",
    "We moved here two years ago and this is the first I have heard of the plan.",
    "Thanks for covering this; the other papers skipped the vote entirely.",
    "I would like to know who pays if the estimate moves again.",
    "The bus timetable change matters more to my family than any of this.",
    "Please keep following this story after the vote.",
]


@dataclass
class Dataset:
    """What a built dataset holds, for the load runner and the table."""

    uri: str
    featured_slug: str
    open_thread_slug: str
    tag_slug: str
    search_word: str
    posts: int
    replies: int
    build_seconds: float


def _featured_article() -> dict:
    """The seed article when the shared seeds are beside the checkout; our own text otherwise."""
    if SEED_FILE.exists():
        wire = parse_wire_article(SEED_FILE.read_text(encoding="utf-8"))
        return {
            "title": wire.title,
            "body": wire.body_markdown,
            "key_points": wire.key_points,
            "contradictions": wire.contradictions,
            "sources": wire.sources,
        }
    body = "\n\n".join(
        " ".join(random.Random(n).choices(_WORDS, k=60)).capitalize() + "." for n in range(12)
    )
    return {
        "title": "Council weighs a new bridge over the river",
        "body": body,
        "key_points": ["The vote is due next week.", "Costs are disputed."],
    }


def _thread_replies(post_id: int, now: datetime, count: int = 50) -> None:
    """Add `count` approved replies in threads (some answers several levels deep)."""
    rng = random.Random(50)
    made: list[Reply] = []
    for n in range(count):
        parent = None
        if made and n % 3:
            candidate = rng.choice(made[-8:])
            parent = candidate if candidate.depth < 4 else None
        body = f"{_REPLY_LINES[n % len(_REPLY_LINES)]}\n\nReply number {n + 1} in this thread."
        reply = Reply(
            post_id=post_id,
            parent_id=parent.id if parent else None,
            depth=1 if parent is None else parent.depth + 1,
            name=f"Reader {n + 1}",
            email=f"thread.reader{n + 1}@example.com",
            website="https://example.com/readers" if n % 7 == 0 else "",
            body=body,
            body_html=render_reply_text(body),
            status="approved",
            moderation_reason="bench data",
            created_at=now - timedelta(minutes=(count - n) * 3),
        )
        db.session.add(reply)
        db.session.flush()
        made.append(reply)


def _next_id(column) -> int:
    return (db.session.scalar(select(func.max(column))) or 0) + 1


def _bulk_posts(total: int, now: datetime, tag_ids: list[int]) -> list[int]:
    """Insert `total` filler posts (each with one tag) in batches; return their ids."""
    first = _next_id(Post.id)
    ids = list(range(first, first + total))
    post_table, tag_rows = Post.__table__, []
    for start in range(0, total, BATCH):
        rows, tag_rows = [], []
        for post_id in ids[start : start + BATCH]:
            words = " ".join(_WORDS[(post_id * k) % len(_WORDS)] for k in (3, 7, 11, 13))
            body = f"Filler story {post_id} about the {words}."
            rows.append(
                {
                    "id": post_id,
                    "title": f"Story {post_id}: {words}",
                    "slug": f"story-{post_id}",
                    "dek": "",
                    "dateline": "RIVERSIDE",
                    "byline": "Desk",
                    "body": body,
                    "body_html": f"<p>{escape(body)}</p>",
                    "status": "published",
                    "published_at": now - timedelta(minutes=10 + post_id),
                    "created_at": now - timedelta(minutes=10 + post_id),
                    "modified_at": now - timedelta(minutes=10 + post_id),
                    "replies_open": True,
                }
            )
            tag_rows.append({"post_id": post_id, "tag_id": tag_ids[post_id % len(tag_ids)]})
        db.session.execute(insert(post_table), rows)
        db.session.execute(insert(post_tag), tag_rows)
    return ids


def _bulk_replies(total: int, post_ids: list[int], now: datetime) -> None:
    """Insert `total` filler replies spread over `post_ids`, one in five answering another."""
    if not total or not post_ids:
        return
    first = _next_id(Reply.id)
    rendered = [render_reply_text(line) for line in _REPLY_LINES]
    statuses = ["approved"] * 18 + ["pending", "spam"]
    table = Reply.__table__
    per_post = max(1, total // len(post_ids))
    reply_id = first
    last_top: dict[int, int] = {}
    batch: list[dict] = []
    for n in range(total):
        post_id = post_ids[(n // per_post) % len(post_ids)]
        status = statuses[n % len(statuses)]
        parent = last_top.get(post_id) if n % 5 == 4 and status == "approved" else None
        batch.append(
            {
                "id": reply_id,
                "post_id": post_id,
                "parent_id": parent,
                "depth": 2 if parent else 1,
                "name": f"Reader {n % 5000}",
                "email": f"reader{n % 5000}@example.com",
                "website": "",
                "body": _REPLY_LINES[n % len(_REPLY_LINES)],
                "body_html": rendered[n % len(rendered)],
                "status": status,
                "moderation_reason": "bench data",
                "created_at": now - timedelta(seconds=total - n),
                "ip_hash": f"{n % 5000:064d}",
            }
        )
        if parent is None and status == "approved":
            last_top[post_id] = reply_id
        reply_id += 1
        if len(batch) >= BATCH:
            db.session.execute(insert(table), batch)
            batch = []
    if batch:
        db.session.execute(insert(table), batch)


def _fix_sequences() -> None:
    """PostgreSQL: move id sequences past the explicit ids the bulk insert used."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("post", "reply", "tag"):
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
        )


def build(uri: str, instance: Path, posts: int, replies: int) -> Dataset:
    """Create the schema at `uri` and fill it: the featured article, an open thread, filler."""
    started = time.perf_counter()
    instance.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": uri,
            "SECRET_KEY": "bench-only-secret",
        }
    )
    upgrade_schema(app)
    with app.app_context():
        now = datetime.now(UTC).replace(microsecond=0)
        featured = create_post(
            **_featured_article(),
            slug=FEATURED_SLUG,
            byline="Bench Desk",
            dek="The article the benchmark reads, with fifty replies.",
            published_at=now - timedelta(hours=2),
            tags=["Council", "Transport"],
        )
        create_post(
            title="Open thread: what should we cover next?",
            slug=OPEN_THREAD_SLUG,
            body="Tell the newsroom what you want us to look into.",
            published_at=now - timedelta(hours=3),
            tags=["Council"],
        )
        tags_named(TAG_NAMES)
        db.session.flush()
        _thread_replies(featured.id, now)
        tag_ids = list(db.session.scalars(select(Tag.id).order_by(Tag.id)))
        filler_posts = _bulk_posts(max(0, posts - 2), now, tag_ids)
        # The filler replies spread over the filler posts; the featured article keeps its 50.
        _bulk_replies(max(0, replies - 50), filler_posts, now)
        _fix_sequences()
        db.session.commit()
        counted_posts = db.session.scalar(select(func.count(Post.id)))
        counted_replies = db.session.scalar(select(func.count(Reply.id)))
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.engine.dispose()
    return Dataset(
        uri=uri,
        featured_slug=FEATURED_SLUG,
        open_thread_slug=OPEN_THREAD_SLUG,
        tag_slug=BENCH_TAG_SLUG,
        search_word=SEARCH_WORD,
        posts=counted_posts,
        replies=counted_replies,
        build_seconds=round(time.perf_counter() - started, 1),
    )
