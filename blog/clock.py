"""The one place the application asks for the time, so tests can move it."""

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    """Return the current time in UTC, shifted by any offset a test has set."""
    return datetime.now(UTC) + _offset


def advance(seconds: float) -> None:
    """Move the application's clock forward (tests and demos only)."""
    global _offset
    _offset += timedelta(seconds=seconds)


def reset() -> None:
    """Put the clock back to real time."""
    global _offset
    _offset = timedelta(0)
