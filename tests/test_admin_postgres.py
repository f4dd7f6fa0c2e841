"""The desk on PostgreSQL: WXR imports twice, the queue's search and actions, the editor.

Each test migrates a schema of its own in TEST_DATABASE_URL and drops it afterwards.
"""

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from desk_support import make_user, sign_in

from blog.extensions import db
from blog.models import Post, Reply, Revision

DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
WXR = Path(__file__).parent / "data" / "sample-wxr.xml"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not DATABASE_URL, reason="TEST_DATABASE_URL is not set"),
]


def test_wxr_import_twice_and_queue_on_postgres(pg_app):
    runner = pg_app.test_cli_runner()
    first = runner.invoke(args=["import-wxr", str(WXR)])
    assert "Imported 3 posts (0 already here) and 3 replies" in first.output, first.output
    second = runner.invoke(args=["import-wxr", str(WXR)])
    assert "Imported 0 posts (3 already here) and 0 replies (3 already here" in second.output
    with pg_app.app_context():
        assert db.session.scalar(db.select(db.func.count(Reply.id))) == 3
        ferry = db.session.scalar(db.select(Post).where(Post.slug == "ferry-timetable-winter"))
        assert ferry.published_at == datetime(2025, 11, 3, 14, 5, tzinfo=UTC)
        ann_id = db.session.scalar(db.select(Reply.id).where(Reply.name == "Ann Reader"))

    make_user(pg_app, "mara")
    desk = pg_app.test_client()
    assert sign_in(desk).status_code == 303
    found = desk.get("/admin/replies?status=approved&q=ANN@EXAMPLE").get_data(as_text=True)
    assert "Ann Reader" in found and "Ben Porter" not in found
    assert (
        desk.post(f"/admin/replies/{ann_id}/moderate", data={"action": "spam"}).status_code == 303
    )
    assert "Finally, an hourly service." not in desk.get("/posts/ferry-timetable-winter").get_data(
        as_text=True
    )


def test_editor_on_postgres(pg_app):
    make_user(pg_app, "mara")
    desk = pg_app.test_client()
    sign_in(desk)
    data = {
        "title": "Harbour wall repaired",
        "body": "Repairs finished on *Monday*.",
        "key_points": "Finished Monday.",
        "sources": "Port notice | https://example.com/notice\nHarbour master",
        "contradictions": "Cost figures differ [1, 2]",
        "tags": "Harbour",
        "status": "published",
        "replies_open": "y",
    }
    location = desk.post("/admin/posts/new", data=data).headers["Location"]
    desk.post(location, data={**data, "body": "Repairs finished on Tuesday."})
    post_id = int(location.split("/")[3])
    desk.post(f"/admin/posts/{post_id}/notes", data={"kind": "Correction", "text": "Day fixed."})
    with pg_app.app_context():
        first = db.session.scalar(
            db.select(Revision.id).where(Revision.post_id == post_id).order_by(Revision.id)
        )
    assert desk.post(f"/admin/revisions/{first}/restore").status_code == 303
    article = desk.get("/posts/harbour-wall-repaired").get_data(as_text=True)
    assert "<em>Monday</em>" in article and "Updated" in article and "Day fixed." in article
    assert "Cost figures differ" in article and "Harbour master" in article


def test_backup_on_postgresql_points_to_pg_dump(pg_app, tmp_path):
    result = pg_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.sqlite")])
    assert result.exit_code != 0
    assert "pg_dump" in result.output
    assert not (tmp_path / "copy.sqlite").exists()
