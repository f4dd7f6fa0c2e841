"""The config counts its changes: derived values (the page cache's settings digest, the security
headers) are rebuilt after any of them, and only then."""

from blog.tracked_config import TrackedConfig


def test_every_kind_of_change_moves_the_generation():
    config = TrackedConfig(".")
    changes = [
        lambda: config.__setitem__("A", 1),
        lambda: config.update({"B": 2}),
        lambda: config.setdefault("C", 3),
        lambda: config.pop("A"),
        lambda: config.__delitem__("B"),
        lambda: config.from_mapping({"D": 4}),
        lambda: config.popitem(),
        lambda: config.clear(),
    ]
    for change in changes:
        before = config.generation
        change()
        assert config.generation > before


def test_reading_does_not_move_it():
    config = TrackedConfig(".", {"A": 1})
    before = config.generation
    assert config["A"] == 1 and config.get("B") is None and list(config.items())
    assert config.generation == before


def test_a_changed_header_setting_reaches_the_next_response(app, client):
    assert "frame-ancestors 'none'" in client.get("/").headers["Content-Security-Policy"]
    app.config["CONTENT_SECURITY_POLICY"] = "default-src 'self'; frame-ancestors 'none'; x-y"
    assert client.get("/").headers["Content-Security-Policy"].endswith("x-y")
