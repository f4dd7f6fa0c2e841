"""`flask backup` while the site keeps writing: the copy passes SQLite's integrity check and
holds a consistent state. (On PostgreSQL it points to pg_dump: see test_admin_postgres.py.)"""

import sqlite3
import threading

import pytest

from blog.articles import create_post
from blog.extensions import db


@pytest.mark.sqlite_only(reason="flask backup copies the SQLite file (PostgreSQL: pg_dump)")
def test_backup_taken_while_writing_is_intact(app, tmp_path):
    started = threading.Event()
    stop = threading.Event()
    written = {"count": 0}
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with app.app_context():
                while not stop.is_set():
                    number = written["count"]
                    create_post(
                        title=f"Live story {number}",
                        body="Paragraph. " * 200,
                        key_points=[f"Point {number}a", f"Point {number}b"],
                        tags=[f"Tag {number % 7}"],
                    )
                    db.session.commit()
                    written["count"] = number + 1
                    if number == 25:
                        started.set()
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)
            started.set()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    copies = []
    try:
        assert started.wait(60), "the writer never got going"
        runner = app.test_cli_runner()
        for number in range(3):
            dest = tmp_path / f"copy{number}.sqlite"
            before = written["count"]
            result = runner.invoke(args=["backup", str(dest)])
            assert result.exit_code == 0, result.output
            copies.append((dest, before))
        assert thread.is_alive()  # the site was still writing through every backup
    finally:
        stop.set()
        thread.join(30)
    assert not errors, errors
    for dest, before in copies:
        with sqlite3.connect(dest) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
            posts = copy.execute("SELECT count(*) FROM post").fetchone()[0]
            points = copy.execute("SELECT count(*) FROM key_point").fetchone()[0]
        assert before <= posts <= written["count"]
        assert points == 2 * posts  # every post's parts came with it: one transaction's worth
