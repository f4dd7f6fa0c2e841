"""Checkpoints of SQLite's write-ahead log run beside the requests, not inside a reader's POST."""

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from blog import wal_checkpoint
from blog.extensions import db

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.sqlite_only(reason="checkpoints of a write-ahead log are SQLite's")


def _wait_for_checkpoints() -> None:
    for thread in threading.enumerate():
        if thread.name == "wal-checkpoint":
            thread.join(timeout=10)


def test_replies_trigger_a_background_checkpoint_of_the_whole_log(
    app, add_post, send_reply, monkeypatch
):
    slug = add_post("Harbour dredging starts")
    _wait_for_checkpoints()
    done = []
    real = wal_checkpoint.checkpoint
    monkeypatch.setattr(
        wal_checkpoint, "checkpoint", lambda path: done.append((path, real(path))) or done[-1][1]
    )
    monkeypatch.setattr(wal_checkpoint, "CHECKPOINT_EVERY", 12)
    monkeypatch.setattr(wal_checkpoint, "_commits", 0)
    monkeypatch.setattr(wal_checkpoint, "_last_checkpoint", time.monotonic())
    with app.app_context():
        path = db.engine.url.database
        with db.engine.connect() as connection:
            # The automatic checkpoint is only the backstop now.
            pages = connection.execute(text("PRAGMA wal_autocheckpoint")).scalar()
            assert pages == wal_checkpoint.AUTOCHECKPOINT_PAGES
    for n in range(wal_checkpoint.CHECKPOINT_EVERY - 1):
        answer = send_reply(slug, body=f"Which streets close, question {n}?", name=f"Reader {n}")
        assert answer.status_code == 303
    _wait_for_checkpoints()
    assert done == []  # not yet due
    assert send_reply(slug, body="And for how long?", name="Last reader").status_code == 303
    _wait_for_checkpoints()
    assert len(done) == 1
    checked_path, result = done[0]
    assert Path(checked_path) == Path(path)
    busy, log_pages, copied = result
    assert busy == 0 and log_pages > 0 and copied == log_pages  # the whole log, back in the file
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM reply")).scalar() == 12


def test_a_quiet_site_checkpoints_at_its_first_reply_after_a_while(
    app, add_post, send_reply, monkeypatch
):
    slug = add_post("Ferry timetable changes")
    _wait_for_checkpoints()
    done = []
    monkeypatch.setattr(wal_checkpoint, "checkpoint", lambda path: done.append(path))
    monkeypatch.setattr(wal_checkpoint, "_commits", 0)
    monkeypatch.setattr(wal_checkpoint, "_last_checkpoint", time.monotonic())
    assert send_reply(slug, body="Does the early boat still run?").status_code == 303
    _wait_for_checkpoints()
    assert done == []  # one reply, just after a checkpoint: nothing due
    later = time.monotonic() - wal_checkpoint.MAX_SECONDS - 1
    monkeypatch.setattr(wal_checkpoint, "_last_checkpoint", later)
    assert send_reply(slug, body="And on Sundays?", name="Reader Two").status_code == 303
    _wait_for_checkpoints()
    assert len(done) == 1


def test_a_checkpoint_of_a_missing_database_does_nothing(tmp_path):
    missing = tmp_path / "gone.sqlite"
    assert wal_checkpoint.checkpoint(str(missing)) is None
    assert not missing.exists()  # never creates a database where one was deleted


def test_a_process_that_exits_leaves_no_log_behind(tmp_path):
    """The last connection out folds the log into the database: the next start reads no log."""
    database = tmp_path / "blog.sqlite"
    env = {
        **os.environ,
        "FLASK_APP": "app.py",
        "BLOG_SECRET_KEY": "exit-test",
        "BLOG_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
    }
    for command in (["init-db"], ["seed-demo"]):
        done = subprocess.run(
            [sys.executable, "-m", "flask", *command],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert not Path(f"{database}-wal").exists(), f"flask {command[0]} left its log behind"
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM reply").fetchone()[0] > 0
