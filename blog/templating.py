"""Template filters and globals: times in the newsroom's zone, site settings."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "UTC")


def local_time(value: datetime | None, fmt: str = "%B %-d, %Y %-I:%M %p %Z") -> str:
    """Format a UTC time for readers in the newsroom's time zone."""
    if value is None:
        return ""
    return value.astimezone(_zone()).strftime(fmt)


def iso_time(value: datetime | None) -> str:
    """ISO-8601 with the offset, for <time datetime> and machine readers."""
    if value is None:
        return ""
    return value.astimezone(_zone()).isoformat(timespec="seconds")


def init_app(app: Flask) -> None:
    """Register the filters and the site-wide template values."""
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(iso_time, "iso_time")

    @app.context_processor
    def site_settings() -> dict:
        return {
            "site_name": app.config["SITE_NAME"],
            "site_description": app.config["SITE_DESCRIPTION"],
        }
