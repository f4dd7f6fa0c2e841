"""Reply INSERTs of the workers on one host take turns on a lock file beside the database."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from blog import write_queue
from blog.extensions import db

HOLDER = """
import sys, time
from pathlib import Path
from blog.write_queue import turn
database, marks = sys.argv[1], Path(sys.argv[2])
with turn(database):
    (marks / "holding").touch()
    time.sleep(0.5)
    (marks / "released").touch()
"""


def test_a_second_process_waits_for_the_turn_then_gets_it(tmp_path):
    database = str(tmp_path / "blog.sqlite")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database, str(tmp_path)],
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "holding").exists():
            assert holder.poll() is None, "the holder exited early"
            assert time.monotonic() < deadline, "the holder never took its turn"
            time.sleep(0.01)
        with write_queue.turn(database):
            # Only once the other process let go: it marked the release before it did.
            assert (tmp_path / "released").exists()
        assert holder.wait(timeout=30) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)


def test_two_threads_of_one_process_take_turns_too(tmp_path):
    # Each thread keeps its own descriptor: a flock shared by two threads would not make the
    # second one wait.
    database = str(tmp_path / "blog.sqlite")
    holding, seen = threading.Event(), []

    def hold() -> None:
        with write_queue.turn(database):
            holding.set()
            time.sleep(0.3)
            seen.append("released")

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(30), "the other thread never took its turn"
        with write_queue.turn(database):
            assert seen == ["released"]
        with write_queue.turn(database):  # the kept descriptor serves the next turn as well
            pass
    finally:
        holder.join(30)


def _open_lock_files(database: str) -> int:
    target = write_queue.lock_path(database)
    count = 0
    for entry in Path("/proc/self/fd").iterdir():
        try:
            count += os.readlink(entry) == target
        except OSError:  # the descriptor listing the folder itself is gone by now
            pass
    return count


def test_a_thread_that_ends_lets_go_of_its_lock_file(tmp_path):
    # The development server runs each request in a thread of its own: a descriptor kept past
    # the thread would leak one per reply.
    database = str(tmp_path / "blog.sqlite")

    def one_turn() -> None:
        with write_queue.turn(database):
            pass

    for _ in range(20):
        worker = threading.Thread(target=one_turn)
        worker.start()
        worker.join(30)
    assert _open_lock_files(database) == 0


def test_without_a_lock_file_the_write_goes_on(tmp_path):
    database = str(tmp_path / "blog.sqlite")
    Path(write_queue.lock_path(database)).mkdir()  # something that cannot be opened as a file
    with write_queue.turn(database):
        reached = True
    assert reached
    with write_queue.turn(None):  # not a SQLite file: nothing to take turns on
        pass


@pytest.mark.sqlite_only(reason="the lock file sits beside a SQLite database")
def test_a_reply_takes_its_turn_beside_the_database(app, add_post, send_reply):
    slug = add_post("Library hours extended")
    with app.app_context():
        database = db.engine.url.database
    lock = Path(write_queue.lock_path(database))
    assert not lock.exists()
    assert send_reply(slug).status_code == 303
    assert lock.exists() and lock.parent == Path(database).parent
