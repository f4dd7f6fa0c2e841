"""Measure the discovery pages on a large SQLite site: index upkeep, search, feed and sitemap.

    .venv/bin/python bench/discovery.py [POSTS]

Posts go in through Core executemany, so the time printed for them is mostly the search
triggers' work. Requests go through Flask's test client (no HTTP server), one at a time.
"""

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, insert

from blog import create_app
from blog.database import upgrade_schema
from blog.extensions import db
from blog.models import KeyPoint, Post, Tag, post_tag

WORDS = (
    "council bridge river budget school library harbour ferry vote market square station "
    "housing engineer county crossing debate meeting mayor park road transit tax water "
    "police court museum garden festival hospital clinic nurse teacher student farmer"
).split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def fill(count: int) -> None:
    rng = random.Random(5)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    tags = [{"id": i + 1, "name": f"Topic {i}", "slug": f"topic-{i}"} for i in range(40)]
    db.session.execute(insert(Tag), tags)
    posts, points, links = [], [], []
    for i in range(1, count + 1):
        body = "\n\n".join(sentence(rng, 60) for _ in range(5))
        when = start + timedelta(hours=i)
        posts.append(
            {
                "id": i,
                "title": sentence(rng, 8),
                "slug": f"post-{i}",
                "dek": sentence(rng, 14),
                "body": body,
                "body_html": body,
                "status": "published",
                "published_at": when,
                "created_at": when,
                "modified_at": when,
            }
        )
        points += [{"post_id": i, "position": p, "text": sentence(rng, 10)} for p in range(3)]
        links += [{"post_id": i, "tag_id": t} for t in rng.sample(range(1, 41), 2)]
    db.session.execute(insert(Post), posts)
    db.session.execute(insert(KeyPoint), points)
    db.session.execute(insert(post_tag), links)
    db.session.commit()


def timed(client, url: str, runs: int = 30, headers: dict | None = None) -> str:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url, headers=headers or {})
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code in (200, 304), (url, response.status_code)
    return f"{url:<42} {response.status_code}  median {statistics.median(times):7.2f} ms"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    folder = tempfile.mkdtemp()
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": folder,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
        }
    )
    upgrade_schema(app)
    with app.app_context():
        downgrade(revision="0001_initial")  # the same rows without the search triggers
        began = time.perf_counter()
        fill(count)
        bare = time.perf_counter() - began
        began = time.perf_counter()
        upgrade()  # builds the index from the rows already there
        backfill = time.perf_counter() - began
        db.session.execute(delete(KeyPoint))
        db.session.execute(delete(post_tag))
        db.session.execute(delete(Post))
        db.session.execute(delete(Tag))
        db.session.commit()
        began = time.perf_counter()
        fill(count)
        indexed = time.perf_counter() - began
    print(f"{count} posts (+3 key points, +2 tags each): {bare:.1f} s without the index,")
    print(f"  {indexed:.1f} s with the triggers, {backfill:.1f} s to index them all at upgrade")
    client = app.test_client()
    print(timed(client, "/search?q=harbour"))
    print(timed(client, "/search?q=harbour&page=50"))
    print(timed(client, '/search?q="ferry vote" nurse'))
    print(timed(client, "/search?q=zzzz"))
    print(timed(client, "/search?q=AND(%22NEAR"))
    print(timed(client, "/feed.xml"))
    etag = client.get("/feed.xml").headers["ETag"]
    print(timed(client, "/feed.xml", headers={"If-None-Match": etag}))
    print(timed(client, "/tags/topic-3/feed.xml"))
    print(timed(client, "/sitemap.xml", runs=5))
    print(timed(client, "/archive/2020/6"))


if __name__ == "__main__":
    main()
