"""Nothing lost under load: gunicorn with 2 workers on the test's database, 16 readers at once.

Each reader GETs an article, sends its form back with every hidden control, and repeats. The
defences are configured not to refuse them (no flood window, no minimum form age, no moderation),
so every reply should be stored: the replies in the database must be exactly the ones answered
303. The second test SIGKILLs one worker halfway: gunicorn starts another, every 303 is still in
the database, and a reader whose connection dropped got no 303 for that reply.
"""

import http.client
import os
import re
import signal
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text

from blog import clock
from blog.articles import create_post
from blog.extensions import db
from blog.models import Reply
from tests.http_client import Browserish, form_controls
from tests.servers import Gunicorn

pytestmark = pytest.mark.slow

CLIENTS = 16
REPLIES = 2000


def _prepare(app: Flask) -> tuple[dict[str, str], list[str]]:
    """One article per reader in the app's database; the env that points gunicorn at it."""
    slugs = []
    with app.app_context():
        for number in range(CLIENTS):
            post = create_post(
                title=f"Load story {number}",
                body="A story readers answer at once.",
                published_at=clock.now() - timedelta(minutes=5),
            )
            db.session.commit()
            slugs.append(post.slug)
        db.session.remove()  # reading post.slug began a transaction: give its connection back
        db.engine.dispose()  # before closing the pool, or it is left open (PostgreSQL warns)
    env = {
        "BLOG_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "BLOG_SECRET_KEY": "load-test-secret",
        "BLOG_REPLY_FLOOD_SECONDS": "0",
        "BLOG_REPLY_MIN_SECONDS": "0",
        "BLOG_REPLY_MODERATION": "none",
        "BLOG_RATELIMIT_STORAGE_URI": "memory://",
    }
    return env, slugs


class Tally:
    """What the readers saw, collected from every thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.accepted: set[int] = set()
        self.dropped = 0
        self.sent = 0

    def answered(self) -> int:
        with self.lock:
            return self.sent


def _reader(url: str, slug: str, number: int, count: int, tally: Tally) -> None:
    reader = Browserish(url, timeout=120)
    for index in range(count):
        status, location = None, ""
        try:
            page = reader.get(f"/posts/{slug}")
            status = page.status
            if page.status == 200:
                form = {
                    **form_controls(page.text),
                    "body": f"Reader {number} reply {index}: the bridge should open in spring.",
                    "name": f"Load Reader {number}",
                    "email": f"load.reader{number}@example.com",
                }
                answer = reader.post(f"/posts/{slug}/replies", form)
                status, location = answer.status, answer.headers.get("Location", "")
        except (OSError, http.client.HTTPException):
            # A worker died under this request: the connection dropped before an answer, or
            # partway through one (http.client then reports a bad or incomplete answer).
            status = None
        with tally.lock:
            tally.sent += 1
            if status is None:
                tally.dropped += 1
                continue
            tally.statuses[status] += 1
            found = re.search(r"#reply-(\d+)$", location)
            if status == 303 and found:
                tally.accepted.add(int(found.group(1)))


def _run_readers(url: str, slugs: list[str], tally: Tally, midway=None) -> None:
    per_reader = REPLIES // CLIENTS
    threads = [
        threading.Thread(target=_reader, args=(url, slugs[n], n, per_reader, tally))
        for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    if midway is not None:
        midway()
    for thread in threads:
        thread.join(600)
    assert not any(t.is_alive() for t in threads)


def _stored(app: Flask) -> tuple[set[int], str]:
    """The reply ids in the database, and SQLite's integrity check ("ok" on PostgreSQL,
    which has no such check of its files)."""
    with app.app_context():
        ids = set(db.session.scalars(select(Reply.id)))
        integrity = "ok"
        if db.engine.dialect.name == "sqlite":
            integrity = db.session.execute(text("PRAGMA integrity_check")).scalar_one()
        db.session.remove()
    return ids, integrity


def _workers(master: int) -> set[int]:
    """The gunicorn workers: processes whose parent is the master."""
    children = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == master:
            children.add(int(entry))
    return children


def test_two_thousand_replies_from_sixteen_readers_all_kept(app: Flask):
    env, slugs = _prepare(app)
    tally = Tally()
    with Gunicorn(env, workers=2) as server:
        _run_readers(server.url, slugs, tally)
    stored, integrity = _stored(app)
    print(f"sent {tally.sent}, answers {dict(tally.statuses)}, stored {len(stored)}")
    assert tally.sent == REPLIES
    assert tally.dropped == 0
    assert not [s for s in tally.statuses if s >= 500]
    assert tally.statuses[303] == REPLIES
    assert len(tally.accepted) == REPLIES
    assert stored == tally.accepted
    assert integrity == "ok"


def test_a_worker_killed_midway_loses_no_answered_reply(app: Flask):
    env, slugs = _prepare(app)
    tally = Tally()
    killed: list[int] = []
    with Gunicorn(env, workers=2) as server:
        master = server.process.pid
        before = _workers(master)
        assert len(before) == 2

        def kill_one_worker_halfway() -> None:
            while tally.answered() < REPLIES // 2:
                threading.Event().wait(0.05)
            victim = min(before)
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

        _run_readers(server.url, slugs, tally, midway=kill_one_worker_halfway)
        after = _workers(master)
        health = Browserish(server.url).get("/healthz")
    stored, integrity = _stored(app)
    print(
        f"sent {tally.sent}, answers {dict(tally.statuses)}, dropped {tally.dropped}, "
        f"stored {len(stored)}, workers before {sorted(before)} after {sorted(after)}"
    )
    assert killed and killed[0] not in after
    assert len(after) == 2 and after - before  # gunicorn started a replacement
    assert health.status == 200
    assert not [s for s in tally.statuses if s >= 500]
    assert tally.accepted <= stored  # every reply answered 303 is in the database
    # a reply stored without a 303 can only be one whose connection dropped mid-answer
    assert len(stored - tally.accepted) <= tally.dropped
    assert sum(tally.statuses.values()) + tally.dropped == tally.sent == REPLIES
    assert integrity == "ok"
