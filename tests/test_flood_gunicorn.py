"""The flood rule holds across processes: two gunicorn workers share what it knows."""

import pytest
from sqlalchemy import func, select

from blog.articles import create_post
from blog.extensions import db
from blog.models import Reply
from tests.conftest import REPLY_DEFAULTS, reply_form_fields
from tests.servers import Browserless, Gunicorn

pytestmark = pytest.mark.slow


def test_flood_is_refused_whichever_worker_answers(make_app, tmp_path):
    app = make_app()
    with app.app_context():
        slug = create_post(title="Busy story", body="b").slug
        db.session.commit()
    env = {
        "BLOG_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "BLOG_SECRET_KEY": "gunicorn-test-secret",
        "BLOG_REPLY_FLOOD_SECONDS": "60",
        "BLOG_REPLY_MIN_SECONDS": "0",
        "BLOG_REPLY_MODERATION": '"none"',
    }
    with Gunicorn(env, workers=2) as server:
        readers = [Browserless(server.url) for _ in range(8)]
        forms = []
        for reader in readers:
            status, _, html = reader.request(f"/posts/{slug}")
            assert status == 200
            forms.append(reply_form_fields(html))
        outcomes = []
        for n, (reader, fields) in enumerate(zip(readers, forms, strict=True)):
            data = {
                **fields,
                **REPLY_DEFAULTS,
                "email": f"reader{n}@example.com",
                "body": f"reply number {n}",
            }
            status, headers, html = reader.request(f"/posts/{slug}/replies", data)
            outcomes.append(status)
            if status == 429:
                assert 1 <= int(headers["Retry-After"]) <= 60
                assert f"reply number {n}" in html
    # All readers share one network address: the first gets through, every later one waits,
    # although the two workers answered in turn.
    assert outcomes == [303] + [429] * 7
    with app.app_context():
        assert db.session.scalar(select(func.count(Reply.id))) == 1
