"""Reply INSERTs of the workers on one host take turns on a lock file instead of SQLite's sleep.

When a worker's INSERT finds SQLite's write lock taken, SQLite's busy handler sleeps 1 ms, then
2, then 5. A reply holds that lock for about a tenth of a millisecond, so under a stream of
replies about one POST in twelve slept ten times longer than the lock was actually held.
flock() on a file beside the database queues the writers in the kernel instead, which wakes the
next one as soon as the lock is released. SQLite's own locking still decides what is safe;
this only sets the order of the reply INSERTs of processes on this host. The desk's writes keep
SQLite's busy wait, and on PostgreSQL nothing here runs.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_kept = threading.local()  # this thread's open lock file (a _LockFile)


def lock_path(database: str) -> str:
    """The lock file of the SQLite database at `database`, beside it."""
    return database + "-writers"


class _LockFile:
    """A lock file opened by one thread of one process; closed when that thread lets go of it
    (when the thread ends, or when it next writes to another database)."""

    __slots__ = ("pid", "database", "descriptor")

    def __init__(self, database: str) -> None:
        self.pid, self.database = os.getpid(), database
        self.descriptor: int | None = None  # what close() finds if the open below fails
        self.descriptor = os.open(lock_path(database), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def close(self, _close=os.close) -> None:  # bound early: __del__ may run at shutdown
        descriptor, self.descriptor = self.descriptor, None
        if descriptor is not None:
            _close(descriptor)  # a forked child's copy: its parent keeps its own

    __del__ = close


def _descriptor(database: str) -> int:
    """This thread's descriptor of the lock file, opened once and kept.

    Opening and closing the file for every reply cost two system calls in each POST. Each
    thread keeps its own (a flock is held per open file, so two threads sharing one would not
    wait for each other), only for the last database it wrote to, and a forked child opens its
    own rather than share its parent's.
    """
    kept = getattr(_kept, "file", None)
    if kept is None or kept.database != database or kept.pid != os.getpid():
        _kept.file = None
        if kept is not None:
            kept.close()
        kept = _kept.file = _LockFile(database)
    return kept.descriptor


@contextmanager
def turn(database: str | None) -> Iterator[None]:
    """Hold this host's writer turn for the SQLite file at `database` (a no-op for None)."""
    if not database:
        yield
        return
    try:
        descriptor = _descriptor(database)
    except OSError:  # no lock file to be had: SQLite's busy wait alone, as before
        yield
        return
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
