"""Each reader page asks the database a fixed number of questions, however much data there is.

The statements one page view runs are counted (on SQLite by the database itself, through its
trace callback, so reads that skip SQLAlchemy's execution layer are counted too; on other
databases by an SQLAlchemy `before_cursor_execute` listener); the same page is counted on a
small and on a larger dataset and the counts must be equal. Dropping an eager load (say
`selectinload(Post.tags)` in `public_posts`) makes these tests fail.
"""

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from blog import clock
from blog.articles import ContradictionInput, create_post
from blog.extensions import db
from blog.models import Post, Reply
from blog.rendering import render_reply_text
from tests.sql_counting import counting

FEATURED = "the-featured-story"


def fill(app: Flask, posts: int, replies: int, parts: int) -> None:
    """A featured article with `replies` approved replies (threaded) and `parts` of each part,
    plus `posts` other tagged posts, some with several tags."""
    now = clock.now()
    with app.app_context():
        featured = create_post(
            title="The featured story",
            slug=FEATURED,
            body="Body text.",
            published_at=now - timedelta(minutes=1),
            tags=["Council", "Transport"],
            key_points=[f"Point {n}" for n in range(parts)],
            sources=[(f"Source {n}", f"https://example.com/{n}") for n in range(parts)],
            contradictions=[
                ContradictionInput(f"Disagreement {n}", sorted({1, min(2, parts)}))
                for n in range(parts)
            ],
        )
        for n in range(posts):
            create_post(
                title=f"Other story {n}",
                body="Text.",
                published_at=now - timedelta(minutes=10 + n),
                tags=["Council"] + (["Schools", "Health"] if n % 2 else []),
            )
        db.session.flush()
        made: list[Reply] = []
        for n in range(replies):
            parent = made[n // 2] if n and n % 3 and made[n // 2].depth < 4 else None
            reply = Reply(
                post_id=featured.id,
                parent_id=parent.id if parent else None,
                depth=parent.depth + 1 if parent else 1,
                name=f"Reader {n}",
                email=f"reader{n}@example.com",
                body=f"Reply {n}",
                body_html=render_reply_text(f"Reply {n}"),
                status="approved" if n % 5 else "pending",
                created_at=now - timedelta(seconds=replies - n),
            )
            db.session.add(reply)
            db.session.flush()
            made.append(reply)
        db.session.commit()


PAGES = ["/", f"/posts/{FEATURED}", "/tags/council", "/?page=2"]


def statements_per_page(app: Flask) -> dict[str, int]:
    """Statements for the second view of each page (the first may warm per-process state)."""
    client = app.test_client()
    counts = {}
    for path in PAGES:
        assert client.get(path).status_code == 200, path
        with counting(app) as seen:
            response = client.get(path)
        assert response.status_code == 200, path
        counts[path] = len(seen)
    return counts


@pytest.mark.parametrize("page_cache", [False, True], ids=["cache-off", "cache-on"])
def test_statement_counts_do_not_grow_with_the_data(make_app, page_cache: bool) -> None:
    small = make_app(PAGE_CACHE=page_cache)
    fill(small, posts=12, replies=3, parts=1)
    large = make_app(PAGE_CACHE=page_cache)
    fill(large, posts=45, replies=60, parts=4)

    small_counts = statements_per_page(small)
    large_counts = statements_per_page(large)

    assert large_counts == small_counts
    # And the numbers stay small: a page is a handful of statements, not one per row.
    assert max(large_counts.values()) <= 12, large_counts


def test_cached_article_needs_fewer_statements_than_a_fresh_render(make_app) -> None:
    app = make_app()
    fill(app, posts=3, replies=20, parts=2)
    client = app.test_client()
    with counting(app) as first:
        assert client.get(f"/posts/{FEATURED}").status_code == 200
    with counting(app) as second:
        assert client.get(f"/posts/{FEATURED}").status_code == 200
    assert len(second) < len(first)


def test_counter_sees_a_page_whose_statements_grow(make_app) -> None:
    """The listener is not blind: lazy loading each post's tags shows up as growth."""
    app = make_app()
    fill(app, posts=6, replies=0, parts=1)

    def titles_and_tags() -> int:
        with counting(app) as seen, app.app_context():
            for post in db.session.scalars(select(Post)):
                [tag.name for tag in post.tags]  # one lazy load per post
        return len(seen)

    before = titles_and_tags()
    with app.app_context():
        create_post(title="One more", body="x", published_at=clock.now(), tags=["Extra"])
        db.session.commit()
    assert titles_and_tags() == before + 1
