"""The newsroom's wall-clock time (TIMEZONE) for the editor, UTC for storage."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def zone() -> ZoneInfo:
    """The newsroom's time zone from config."""
    return ZoneInfo(current_app.config.get("TIMEZONE") or "UTC")


def local_to_utc(value: datetime | None) -> datetime | None:
    """A time typed in the newsroom's zone (naive, as forms give it) as aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone())
    return value.astimezone(UTC)


def utc_to_local(value: datetime | None) -> datetime | None:
    """A stored UTC time as a naive wall-clock time in the newsroom's zone, for form fields."""
    if value is None:
        return None
    return value.astimezone(zone()).replace(tzinfo=None, second=0, microsecond=0)
