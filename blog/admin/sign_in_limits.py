"""Failed staff sign-ins, counted per account and per address where every process sees them.

Built on the `limits` library (the engine under Flask-Limiter) and called from the sign-in view
alone. Flask-Limiter itself hooked every request of the site, which cost about a tenth of an
article page, to guard this one form.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:  # loaded on the first sign-in: most processes never see one
    from limits import RateLimitItem, strategies

EXTENSION = "sign_in_limits"


@dataclass
class _Counters:
    limiter: strategies.FixedWindowRateLimiter
    prefix: str


def _counters(app: Flask) -> _Counters:
    """This app's counters, made on first use from RATELIMIT_STORAGE_URI (memory:// or redis://)."""
    counters = app.extensions.get(EXTENSION)
    if counters is None:
        from limits import storage, strategies

        options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        backend = storage.storage_from_string(app.config["RATELIMIT_STORAGE_URI"], **options)
        counters = _Counters(
            strategies.FixedWindowRateLimiter(backend), app.config.get("RATELIMIT_KEY_PREFIX", "")
        )
        app.extensions[EXTENSION] = counters
    return counters


def _checks(account: str, address: str) -> list[tuple[RateLimitItem, str, str]]:
    from limits import parse

    config = current_app.config
    return [
        (parse(config["LOGIN_LIMIT_PER_ACCOUNT"]), "desk-login-account", account),
        (parse(config["LOGIN_LIMIT_PER_ADDRESS"]), "desk-login-address", address),
    ]


def seconds_to_wait(account: str, address: str) -> int:
    """0 when a sign-in may be tried; else whole seconds until the fullest window resets."""
    counters = _counters(current_app)
    wait = 0.0
    for limit, scope, key in _checks(account, address):
        if not counters.limiter.test(limit, counters.prefix, scope, key):
            reset = counters.limiter.get_window_stats(limit, counters.prefix, scope, key).reset_time
            wait = max(wait, reset - time.time(), 1)
    return int(wait + 0.999)


def count_failure(account: str, address: str) -> None:
    """One more failed attempt for this account and this address (successes never count)."""
    counters = _counters(current_app)
    for limit, scope, key in _checks(account, address):
        counters.limiter.hit(limit, counters.prefix, scope, key)
