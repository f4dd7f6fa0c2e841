"""Routes build their addresses with builders compiled on first use (blog/url_rules.py)."""

from blog.url_rules import LazilyBuiltRule


def test_every_route_is_lazily_built_and_builds_what_werkzeug_would(app):
    from flask import url_for
    from werkzeug.routing import Map, Rule

    rules = list(app.url_map.iter_rules())
    assert rules and all(isinstance(rule, LazilyBuiltRule) for rule in rules)
    # The same addresses as Werkzeug's own Rule, quoting and extra arguments included.
    plain = Map([Rule("/posts/<slug>", endpoint="article")]).bind("example.org")
    with app.test_request_context("/"):
        for slug, extra in (("bridge-vote", {}), ("a b/ç", {}), ("x", {"page": 2, "q": "a&b"})):
            assert url_for("posts.article", slug=slug, **extra) == plain.build(
                "article", {"slug": slug, **extra}
            )
        assert url_for("admin.edit_post", post_id=7) == "/admin/posts/7/edit"
