"""The command line: schema, demo content, staff accounts, wire imports, backups."""

import re
import sqlite3

import pytest
from sqlalchemy import func, inspect, select

from blog.extensions import db
from blog.models import Contradiction, KeyPoint, Post, Reply, User
from blog.wire import parse_wire_article, restore_breaks


def test_init_db_is_safe_to_repeat_and_keeps_data(app, runner, add_post):
    add_post("Survivor")
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output
    with app.app_context():
        assert db.session.scalar(select(Post.title)) == "Survivor"
        tables = set(inspect(db.engine).get_table_names())
    assert {
        "post",
        "reply",
        "tag",
        "key_point",
        "contradiction",
        "source",
        "correction",
        "user",
        "alembic_version",
    } <= tables


def test_seed_demo_adds_content_once(app, runner, client):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "Added 3 demo posts." in first.output
    second = runner.invoke(args=["seed-demo"])
    assert "demo content not added" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 3
        assert (
            db.session.scalar(select(func.count(Reply.id)).where(Reply.status == "approved")) == 3
        )
        rich = db.session.scalar(select(Post).join(Contradiction))
        assert rich.key_points and rich.sources and rich.tags
        slug = rich.slug
    html = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "Contradictions" in html and "Key points" in html
    assert html.count('class="reply"') == 3
    assert "@example.com" not in html


def test_create_user_reads_the_password_twice_from_stdin(app, runner):
    result = runner.invoke(
        args=["create-user", "mara", "--admin"], input="s3cret-passphrase\ns3cret-passphrase\n"
    )
    assert result.exit_code == 0, result.output
    assert "Created admin mara." in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "mara"))
        assert user.is_admin
        assert user.password_hash != "s3cret-passphrase"
        assert user.check_password("s3cret-passphrase")
    mismatch = runner.invoke(args=["create-user", "tom"], input="one-password\nanother-one\n")
    assert mismatch.exit_code != 0 and "differ" in mismatch.output
    again = runner.invoke(args=["create-user", "mara"], input="s3cret-passphrase\n")
    assert again.exit_code != 0 and "exists already" in again.output


def test_import_seed_article(app, runner, client, seed_file, seed_text):
    result = runner.invoke(
        args=[
            "import-article",
            str(seed_file),
            "--published",
            "2024-09-02T08:00:00+00:00",
            "--tag",
            "World",
            "--tag",
            "Diplomacy",
        ]
    )
    assert result.exit_code == 0, result.output
    path = result.output.strip()
    assert re.fullmatch(r"/posts/[a-z0-9-]+", path)
    with app.app_context():
        post = db.session.scalar(select(Post))
        assert post.title == seed_text.splitlines()[0].strip()
        assert [t.name for t in post.tags] == ["Diplomacy", "World"]
        assert len(post.key_points) == 4
        [contradiction] = post.contradictions
        assert contradiction.statement.startswith("While some sources report")
        assert "👾" not in contradiction.statement
        assert post.published_at.isoformat() == "2024-09-02T08:00:00+00:00"
    html = client.get(path).get_data(as_text=True)
    body = html[
        html.index('<div class="story-body">') : html.index(
            "</div>", html.index('<div class="story-body">')
        )
    ]
    assert body.count("<p>") == 5
    assert "Leave a Reply" not in body and "Required fields" not in body
    assert "1939.</p>" in body and "<p>Putin’s visit" in body
    key_points = html[html.index('id="key-points-title"') :]
    assert key_points[: key_points.index("</ul>")].count("<li>") == 4
    assert html.count('<h2 id="contradictions-title">') == 1


def test_restore_breaks_leaves_abbreviations_and_decimals_alone():
    text = "The U.S.Army said 3.5 percent.Then it left.A new day"
    assert restore_breaks(text) == ["The U.S.Army said 3.5 percent.", "Then it left.", "A new day"]


def test_wire_format_sections_and_chrome():
    article = parse_wire_article(
        "Headline here\n\nFirst para.\n\nSecond para.\n\nKey points\n\n  • One\n  • Two\n\n"
        "Contradictions\n  • Side A says yes; side B says no.\n\nSources\n"
        "  • City hall | https://example.com/hall\n\nLeave a Reply\n\nYour email address will not"
        " be published.\n"
    )
    assert article.title == "Headline here"
    assert article.paragraphs == ["First para.", "Second para."]
    assert article.key_points == ["One", "Two"]
    assert [c.statement for c in article.contradictions] == ["Side A says yes; side B says no."]
    assert article.sources == [("City hall", "https://example.com/hall")]


def test_import_of_an_empty_file_fails_clearly(runner, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    result = runner.invoke(args=["import-article", str(empty)])
    assert result.exit_code != 0
    assert "headline" in result.output


@pytest.mark.sqlite_only(reason="flask backup copies the SQLite file (PostgreSQL: pg_dump)")
def test_backup_is_a_consistent_copy(app, runner, add_post, tmp_path):
    add_post("Backed up story")
    dest = tmp_path / "copy.sqlite"
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(dest) as copy:
        assert copy.execute("SELECT title FROM post").fetchall() == [("Backed up story",)]
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_key_points_keep_their_order(app, add_post):
    add_post("Ordered", key_points=["third? no, first", "second", "last"])
    with app.app_context():
        texts = db.session.scalars(select(KeyPoint.text).order_by(KeyPoint.position)).all()
    assert texts == ["third? no, first", "second", "last"]
