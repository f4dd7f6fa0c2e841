"""PlainSelect: the hot reads that skip the Session give the same values and errors it would."""

import pytest
from sqlalchemy import bindparam, select, union
from sqlalchemy.exc import OperationalError, ProgrammingError

from blog.extensions import db
from blog.models import Post
from blog.plain_sql import PlainSelect

_BY_SLUG = PlainSelect(
    select(Post.id, Post.title, Post.replies_open, Post.published_at).where(
        Post.slug == bindparam("slug")
    )
)


def test_rows_match_what_the_session_reads(app, add_post):
    slug = add_post("Ferry timetable changes", replies_open=False)
    with app.app_context():
        plain = _BY_SLUG.first(slug=slug)
        orm = db.session.scalars(select(Post).where(Post.slug == slug)).one()
        assert (plain.id, plain.title, plain.replies_open) == (orm.id, orm.title, False)
        assert plain.replies_open is False  # a real bool, not SQLite's 0
        assert plain.published_at == orm.published_at
        assert plain.published_at.utcoffset() is not None  # aware, as the column type makes it
        assert _BY_SLUG.first(slug="no-such-story") is None


def test_all_returns_every_row_of_a_union(app, add_post):
    first, second = add_post("First story"), add_post("Second story")
    both = PlainSelect(
        union(
            select(Post.slug).where(Post.slug == bindparam("a")),
            select(Post.slug).where(Post.slug == bindparam("b")),
        )
    )
    with app.app_context():
        assert sorted(row.slug for row in both.all(a=first, b=second)) == sorted([first, second])


def test_database_errors_arrive_as_sqlalchemy_errors(app):
    missing = PlainSelect(select(Post.id).where(Post.slug == bindparam("slug")))
    with app.app_context():
        db.engine.dispose()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE post RENAME TO post_gone")
        with pytest.raises((OperationalError, ProgrammingError)):
            missing.first(slug="anything")


def test_an_expanding_in_is_refused_with_a_clear_message(app):
    statement = PlainSelect(select(Post.id).where(Post.status.in_(("published", "draft"))))
    with app.app_context(), pytest.raises(ValueError, match="OR of equalities"):
        statement.first()


def test_an_insert_commits_on_its_own_and_broken_constraints_raise_integrity_error(app, add_post):
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from blog import clock
    from blog.models import Reply
    from blog.plain_sql import PlainInsert

    names = ("post_id", "name", "body", "body_html", "created_at", "form_nonce")
    partial = PlainInsert(insert(Reply).values({n: bindparam(n) for n in names}))
    with app.app_context(), pytest.raises(ValueError, match="needs values for: depth, email"):
        partial.first()  # columns with Python-side defaults must be given
    names += ("depth", "email", "website", "status", "moderation_reason", "ip_hash")
    add = PlainInsert(insert(Reply).values({n: bindparam(n) for n in names}).returning(Reply.id))
    slug = add_post("Harbour dredging")
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.slug == slug))
        values = dict(
            depth=1,
            email="",
            website="",
            status="approved",
            moderation_reason="",
            ip_hash="",
            post_id=post_id,
            name="Ana",
            body="Hi",
            body_html="<p>Hi</p>",
            created_at=clock.now(),
            form_nonce="nonce-1",
        )
        new_id = add.first(**values).id
        db.session.remove()
        stored = db.session.get(Reply, new_id)  # another connection sees it: committed
        assert (stored.name, stored.created_at.utcoffset() is not None) == ("Ana", True)
        with pytest.raises(IntegrityError):
            add.first(**values)  # the same form nonce twice
        assert db.session.scalar(select(db.func.count(Reply.id))) == 1
        # The failed INSERT's transaction is gone: the next write goes through at once.
        values["form_nonce"] = "nonce-2"
        assert add.first(**values).id > new_id
        assert db.session.scalar(select(db.func.count(Reply.id))) == 2


@pytest.mark.sqlite_only(reason="on SQLite each thread keeps its connection for plain statements")
def test_each_thread_keeps_one_connection_outside_the_pool_until_dispose(app, add_post):
    import sqlite3
    import threading

    from blog import plain_sql

    slug = add_post("Night buses return")
    seen = []
    with app.test_request_context():
        assert _BY_SLUG.first(slug=slug).title == "Night buses return"
        seen.append(plain_sql._connection(db.engine))
        sqlite_connection = seen[0].dbapi_connection
    with app.test_request_context():  # the next request, same thread: the same connection
        _BY_SLUG.first(slug=slug)
        assert plain_sql._connection(db.engine) is seen[0]
        assert db.engine.pool.checkedout() == 0  # out of the pool: no slot is held

    def other_thread():
        with app.test_request_context():
            _BY_SLUG.first(slug=slug)
            seen.append(plain_sql._connection(db.engine))

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert seen[1] is not seen[0]

    with app.app_context():
        db.engine.dispose()  # closes the kept connections too
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            sqlite_connection.execute("SELECT 1")
        assert _BY_SLUG.first(slug=slug).title == "Night buses return"  # a fresh one
        assert plain_sql._connection(db.engine) is not seen[0]


@pytest.mark.sqlite_only(reason="only SQLite keeps a connection per thread")
def test_a_forked_child_opens_its_own_connection(app, add_post):
    """The kept connection is checked against the process id, which is kept current across
    forks without asking the kernel each time: a child must never use its parent's."""
    import os

    from blog import plain_sql

    slug = add_post("Harbour lights")
    with app.app_context():
        assert _BY_SLUG.first(slug=slug) is not None
        parents = plain_sql._thread.sqlite.raw
        child = os.fork()
        if child == 0:  # the child: report through the exit status, never return into pytest
            code = 1
            try:
                found = _BY_SLUG.first(slug=slug)
                code = 0 if found and plain_sql._thread.sqlite.raw is not parents else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert plain_sql._thread.sqlite.raw is parents  # the parent keeps its own
