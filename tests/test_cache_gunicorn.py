"""Two gunicorn workers, each with its own per-process page cache, never serve a stale page.

The cache keys carry versions the database bumps, so a reply taken by one worker, or a change
made outside both (the desk on another host, a script), shows in every worker's next view.
"""

import pytest
from sqlalchemy import select

from blog.articles import create_post
from blog.extensions import db
from blog.models import Reply
from tests.conftest import REPLY_DEFAULTS, reply_form_fields
from tests.servers import Browserless, Gunicorn

pytestmark = pytest.mark.slow

VIEWS = 16  # enough that both workers answer some of them


def test_every_worker_sees_each_change_at_once(make_app) -> None:
    app = make_app()
    with app.app_context():
        slug = create_post(title="Harbour wall repaired", body="b").slug
        db.session.commit()
    env = {
        "BLOG_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "BLOG_SECRET_KEY": "gunicorn-cache-secret",
        "BLOG_REPLY_FLOOD_SECONDS": "0",
        "BLOG_REPLY_MIN_SECONDS": "0",
        "BLOG_REPLY_MODERATION": '"none"',
        "BLOG_CACHE_TYPE": "blog.local_cache.LocalCache",  # the per-process default
    }
    with Gunicorn(env, workers=2) as server:

        def views() -> list[str]:
            pages = []
            for _ in range(VIEWS):
                status, _, html = Browserless(server.url).request(f"/posts/{slug}")
                assert status == 200
                pages.append(html)
            return pages

        assert all("No replies yet" in page for page in views())  # both caches now warm

        writer = Browserless(server.url)
        _, _, html = writer.request(f"/posts/{slug}")
        data = {**reply_form_fields(html), **REPLY_DEFAULTS, "body": "The new wall looks solid."}
        status, _, _ = writer.request(f"/posts/{slug}/replies", data)
        assert status == 303
        after_reply = views()
        assert all("The new wall looks solid." in page for page in after_reply)
        assert all("1 reply" in page for page in after_reply)

        with app.app_context():  # a change from outside both workers
            db.session.scalar(select(Reply)).status = "trash"
            db.session.commit()
        assert all("The new wall looks solid." not in page for page in views())
