"""Failed sign-ins are counted across processes when RATELIMIT_STORAGE_URI names Redis."""

import os
import re
import uuid

import pytest
import redis
from desk_support import make_user

from tests.servers import Browserless, Gunicorn

pytestmark = pytest.mark.slow


def test_sign_in_limit_holds_across_gunicorn_workers(make_app):
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is unset (a Redis server for shared rate-limit counters)")
    app = make_app()
    run = uuid.uuid4().hex[:8]
    username = f"mara{run}"
    make_user(app, username)
    env = {
        "BLOG_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "BLOG_SECRET_KEY": "gunicorn-test-secret",
        "BLOG_RATELIMIT_STORAGE_URI": redis_url,
        "BLOG_LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
        # Fresh counters: the Redis outlives this test, and earlier runs or other tests may
        # have counted failed sign-ins from 127.0.0.1 under the per-address limit.
        "BLOG_RATELIMIT_KEY_PREFIX": f"test-{run}",
    }
    outcomes = []
    try:
        with Gunicorn(env, workers=2) as server:
            for _ in range(6):
                client = Browserless(server.url)
                status, _, html = client.request("/admin/login")
                assert status == 200
                token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
                status, headers, _ = client.request(
                    "/admin/login",
                    {"username": username, "password": "wrong guess", "csrf_token": token},
                )
                outcomes.append(status)
                if status == 429:
                    assert int(headers["Retry-After"]) > 0
    finally:  # this run's counters, not left for 15 minutes in the shared Redis
        store = redis.Redis.from_url(redis_url)
        for key in store.scan_iter(match=f"LIMITS:LIMITER/test-{run}/*"):
            store.delete(key)
        store.close()
    # Counted in one place: with per-process memory each worker would allow three of its own.
    assert outcomes == [200, 200, 200, 429, 429, 429]
