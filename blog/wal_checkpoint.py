"""SQLite's WAL checkpoints, moved off the reader's request.

A checkpoint copies the write-ahead log back into the database file. SQLite runs one inside
whichever commit takes the log past 1,000 pages, and with synchronous=NORMAL it waits there for
two fsyncs. Under a stream of replies, about one POST in a hundred paid for that: the reader
waited milliseconds for the disk, and the worker served nobody else meanwhile.

Here each connection's automatic checkpoint is only a backstop (AUTOCHECKPOINT_PAGES). After
CHECKPOINT_EVERY replies, or at the first reply once MAX_SECONDS have passed since the last
checkpoint, a short-lived thread runs a PASSIVE checkpoint on its own connection. That is the
same work with the same fsyncs, but the worker goes on serving: sqlite3 releases the GIL while
SQLite waits. A PASSIVE checkpoint never blocks readers or writers. When another worker is
already checkpointing, it simply does less.

How often was measured (`bench/`, two workers taking replies as fast as they come): every 16
replies was slower than every 64, and every 200 to 2,000 replies was best, about 2% above 64;
a log left to grow for the whole run was slowest.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from urllib.parse import quote

logger = logging.getLogger(__name__)

# The backstop, for processes that write without the reply path (the desk, imports, the CLI):
# 20,000 pages is 80 MB of log at SQLite's default 4 KB page.
AUTOCHECKPOINT_PAGES = 20_000
# Replies between background checkpoints in one process (each writes about seven pages). The
# log file still grows under a steady stream: SQLite starts it over only when no reader is using
# it, and in the bench's reply load it reached the backstop's 20,000 pages (about 80 MB).
CHECKPOINT_EVERY = 400
# A quiet site checkpoints at its first reply this long after the last checkpoint.
MAX_SECONDS = 30.0

_lock = threading.Lock()
_running: set[str] = set()
_commits = 0
_last_checkpoint = time.monotonic()


def after_commit(path: str) -> None:
    """Count a commit to the SQLite file at `path`; start a checkpoint when one is due."""
    global _commits, _last_checkpoint
    _commits += 1
    now = time.monotonic()
    if _commits < CHECKPOINT_EVERY and now - _last_checkpoint < MAX_SECONDS:
        return
    _commits, _last_checkpoint = 0, now
    with _lock:
        if path in _running:  # the last one is still at work
            return
        _running.add(path)
    threading.Thread(target=checkpoint, args=(path,), name="wal-checkpoint", daemon=True).start()


def checkpoint(path: str) -> tuple[int, int, int] | None:
    """One PASSIVE checkpoint of the database at `path`, on a connection of its own.

    Gives SQLite's (busy, log pages, pages checkpointed), or None when it could not run; a
    missed checkpoint costs nothing but a longer log until the next one or the backstop.
    """
    try:
        # mode=rw: never create a database where a deleted one was.
        connection = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=0)
        try:
            return connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as error:
        logger.debug("background checkpoint of %s skipped: %s", path, error)
        return None
    finally:
        with _lock:
            _running.discard(path)
