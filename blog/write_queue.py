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
from collections.abc import Iterator
from contextlib import contextmanager


def lock_path(database: str) -> str:
    """The lock file of the SQLite database at `database`, beside it."""
    return database + "-writers"


@contextmanager
def turn(database: str | None) -> Iterator[None]:
    """Hold this host's writer turn for the SQLite file at `database` (a no-op for None).

    The file is opened for each turn, not kept: nothing leaks across tests or forks, and two
    system calls cost microseconds against the millisecond a busy wait costs.
    """
    if not database:
        yield
        return
    try:
        descriptor = os.open(lock_path(database), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:  # no lock file to be had: SQLite's busy wait alone, as before
        yield
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock
