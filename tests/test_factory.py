"""The application factory and its configuration layers."""

import os
import stat

import pytest

from blog import create_app


def test_test_config_is_used(app):
    assert app.testing
    assert app.config["SECRET_KEY"] == "test-secret-key-not-for-production"


def test_secret_key_is_generated_once_with_private_mode(tmp_path):
    config = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(dict(config))
    key_file = tmp_path / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    second = create_app(dict(config))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32


def test_instance_config_and_environment_layers(tmp_path, monkeypatch):
    """Defaults, then instance/config.py, then BLOG_* variables (parsed as JSON)."""
    (tmp_path / "config.py").write_text(
        'SITE_NAME = "From instance"\nPOSTS_PER_PAGE = 3\nSECRET_KEY = "instance-secret"\n'
    )
    monkeypatch.setenv("BLOG_POSTS_PER_PAGE", "7")
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    app = create_app()
    assert app.instance_path == str(tmp_path)
    assert app.config["SITE_NAME"] == "From instance"
    assert app.config["POSTS_PER_PAGE"] == 7
    assert app.config["SECRET_KEY"] == "instance-secret"
    assert not (tmp_path / "secret_key").exists()
    assert app.config["REPLY_MODERATION"] == "first-time"  # an untouched default


@pytest.mark.sqlite_only(reason="checks the PRAGMAs every SQLite connection gets")
def test_sqlite_connections_are_tuned(app):
    from sqlalchemy import text

    from blog.extensions import db

    with app.app_context():
        conn = db.session.connection()
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert conn.execute(text("PRAGMA cache_size")).scalar() == -512  # KiB per connection
