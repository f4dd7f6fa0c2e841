"""Full-text search on SQLite (FTS5): what readers find, and hostile input that must not break."""

import re
from datetime import timedelta

import pytest
from discovery_helpers import delete_post, edit_post

from blog import clock
from blog.posts.search import fts5_expression, parse_query

HOSTILE = [
    '"',
    '""',
    '"footbridge',
    'footbridge"',
    "*",
    "**",
    "*footbridge",
    "AND(",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "NEAR(footbridge council, 2)",
    "footbridge AND",
    "OR footbridge",
    "footbridge NOT",
    "-footbridge",
    "^footbridge",
    "title:footbridge",
    "{title body}: footbridge",
    "(((",
    ")",
    "'",
    "\\",
    "%",
    "_",
    "+",
    ":",
    "footbridge:*",
    "footbridge\x00",
    "😀 footbridge",
    "<script>alert(1)</script>",
]


def titles(html: str) -> list[str]:
    found = re.findall(r'<h2 class="summary-title"><a href="/posts/[^"]+">(.*?)</a></h2>', html)
    return [re.sub(r"</?mark>", "", t) for t in found]


@pytest.fixture
def newsroom(add_post):
    add_post(
        "Council approves footbridge",
        dek="A five-to-two vote after a long debate.",
        body="The crossing will link the market square with the east bank.\n\n"
        "Engineers counted the **pelicans** nesting under the old ferry pier.",
        key_points=["Construction starts next spring.", "The ferryman retires."],
        tags=["Transport"],
    )
    add_post(
        "Library opens later",
        body="The central library will open until nine on weekdays.",
        tags=["Culture"],
    )


def search(client, q: str, **params):
    return client.get("/search", query_string={"q": q, **params})


@pytest.mark.parametrize(
    "word, expected",
    [
        ("pelicans", "Council approves footbridge"),  # only in the body, inside Markdown
        ("ferryman", "Council approves footbridge"),  # only in a key point
        ("debate", "Council approves footbridge"),  # only in the dek
        ("culture", "Library opens later"),  # only a tag
        ("weekdays", "Library opens later"),
        ("LIBRARY", "Library opens later"),
    ],
)
def test_words_from_every_part_of_a_post_are_found(client, newsroom, word, expected):
    response = search(client, word)
    assert response.status_code == 200
    assert titles(response.get_data(as_text=True)) == [expected]


def test_snippets_highlight_the_match_and_drop_markdown(client, newsroom):
    html = search(client, "pelicans").get_data(as_text=True)
    snippet = re.search(r'<p class="snippet">(.*?)</p>', html, re.S).group(1)
    assert "<mark>pelicans</mark>" in snippet
    assert "**" not in snippet


def test_phrases_prefixes_and_stems(client, newsroom):
    assert titles(search(client, '"market square"').get_data(as_text=True)) == [
        "Council approves footbridge"
    ]
    assert titles(search(client, '"square market"').get_data(as_text=True)) == []
    assert titles(search(client, "foot*").get_data(as_text=True)) == ["Council approves footbridge"]
    assert titles(search(client, "opening").get_data(as_text=True)) == ["Library opens later"]
    assert titles(search(client, "library pelicans").get_data(as_text=True)) == []


def test_title_matches_rank_above_body_matches(client, add_post):
    add_post("Budget hearing", body="The budget mentions a footbridge once.")
    add_post("Footbridge footbridge", body="Nothing else.", published_at=clock.now() - timedelta(9))
    assert titles(search(client, "footbridge").get_data(as_text=True)) == [
        "Footbridge footbridge",
        "Budget hearing",
    ]


# Hostile strings that still carry a word to find: each must find the footbridge story.
FINDS_FOOTBRIDGE = {
    '"footbridge',
    'footbridge"',
    "*footbridge",
    "AND footbridge",
    "footbridge AND",
    "OR footbridge",
    "footbridge OR",
    "footbridge NOT",
    "NEAR(footbridge council)",
    "^footbridge",
    "footbridge:*",
    "footbridge\x00",
    "😀 footbridge",
    "footbridge OR zzzz",
    "(footbridge)",
}


@pytest.mark.parametrize("q", HOSTILE + sorted(FINDS_FOOTBRIDGE))
def test_hostile_input_gives_a_page_not_an_error(client, newsroom, q):
    response = search(client, q)
    assert response.status_code == 200, q
    html = response.get_data(as_text=True)
    assert '<h1 class="page-title">Search</h1>' in html
    assert "<script>alert(1)</script>" not in html
    assert "not available" not in html
    if q in FINDS_FOOTBRIDGE:
        assert titles(html) == ["Council approves footbridge"], q


def test_reader_operators_are_read_safely(client, newsroom):
    assert sorted(titles(search(client, "footbridge OR library").get_data(as_text=True))) == [
        "Council approves footbridge",
        "Library opens later",
    ]
    assert titles(search(client, "footbridge library").get_data(as_text=True)) == []
    assert titles(search(client, "the -library").get_data(as_text=True)) == [
        "Council approves footbridge"
    ]
    assert titles(search(client, "the NOT footbridge").get_data(as_text=True)) == [
        "Library opens later"
    ]
    only_out = search(client, "-library").get_data(as_text=True)
    assert "not only words to leave out" in only_out


def test_reader_input_never_reaches_fts_as_syntax():
    expression = fts5_expression(parse_query('NEAR(a b) AND( "x y" col:z * foo* -bar'))
    assert (
        expression == '(("a") AND ("b") AND ("x y") AND ("col") AND ("z") AND ("foo"*)) NOT ("bar")'
    )
    assert not parse_query('"') and not parse_query("*") and not parse_query("  ")
    assert not parse_query("AND OR NOT NEAR")


@pytest.mark.parametrize("q", ["", "   ", "***", '"" ()'])
def test_empty_queries_get_a_friendly_page(client, newsroom, q):
    response = search(client, q)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert titles(html) == []
    assert "Type words" in html or "Please type at least one word" in html


def test_a_query_too_long_is_refused_with_the_text_kept(client, newsroom):
    long_query = "footbridge " * 30
    response = search(client, long_query)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "limited to 200 characters" in html
    assert f'value="{long_query}"' in html


def test_reader_and_staff_text_is_escaped_but_highlights_are_markup(client, add_post):
    add_post("<b>Bold</b> claim about tolls", body='Tolls & fees <img src=x onerror="x()">.')
    html = search(client, "tolls").get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt; claim about <mark>tolls</mark>" in html
    assert "<img" not in html.split('<ol class="search-results"')[1]
    assert "<mark>Tolls</mark> &amp; fees" in html
    echoed = search(client, "<i>tolls</i>").get_data(as_text=True)
    assert "<i>tolls" not in echoed
    assert 'value="&lt;i&gt;tolls&lt;/i&gt;"' in echoed


def test_index_follows_every_insert_edit_and_delete(app, client, newsroom):
    assert titles(search(client, "pelicans").get_data(as_text=True))
    edit_post(app, "council-approves-footbridge", body="Now about herons instead.")
    assert titles(search(client, "pelicans").get_data(as_text=True)) == []
    assert titles(search(client, "herons").get_data(as_text=True)) == [
        "Council approves footbridge"
    ]

    edit_post(app, "council-approves-footbridge", key_points=["Kingfishers were seen."])
    assert titles(search(client, "ferryman").get_data(as_text=True)) == []
    assert titles(search(client, "kingfishers").get_data(as_text=True))

    edit_post(app, "library-opens-later", tags=["Culture", "Evenings"])
    assert titles(search(client, "evenings").get_data(as_text=True)) == ["Library opens later"]
    edit_post(app, "library-opens-later", tags=["Evenings"])
    assert titles(search(client, "culture").get_data(as_text=True)) == []

    edit_post(app, "library-opens-later", title="Reading room closes early")
    assert titles(search(client, "reading").get_data(as_text=True)) == ["Reading room closes early"]

    delete_post(app, "council-approves-footbridge")
    assert titles(search(client, "herons").get_data(as_text=True)) == []
    with app.app_context():
        from blog.extensions import db

        rows = db.session.execute(db.text("SELECT count(*) FROM post_search")).scalar()
    assert rows == 1


def test_renaming_a_tag_reindexes_its_posts(app, client, newsroom):
    from blog.extensions import db
    from blog.models import Tag

    with app.app_context():
        tag = db.session.scalar(db.select(Tag).where(Tag.slug == "culture"))
        tag.name = "Heritage"
        db.session.commit()
    assert titles(search(client, "heritage").get_data(as_text=True)) == ["Library opens later"]


def test_only_public_posts_are_found_and_scheduled_ones_when_due(client, add_post):
    add_post("Draft about otters", status="draft", published_at=None)
    add_post("Otters return", status="scheduled", published_at=clock.now() + timedelta(hours=1))
    assert titles(search(client, "otters").get_data(as_text=True)) == []
    clock.advance(2 * 3600)
    assert titles(search(client, "otters").get_data(as_text=True)) == ["Otters return"]


def test_results_are_paginated(client, add_post):
    for n in range(23):
        add_post(f"Harbour note {n}", published_at=clock.now() - timedelta(hours=n + 1))
    first = search(client, "harbour").get_data(as_text=True)
    assert len(titles(first)) == 10
    assert "23 posts match" in first
    assert 'rel="next" href="/search?q=harbour&amp;page=2"' in first
    third = search(client, "harbour", page=3)
    assert third.status_code == 200
    assert len(titles(third.get_data(as_text=True))) == 3
    assert 'rel="prev"' in third.get_data(as_text=True)
    seen = set()
    for page in (1, 2, 3):
        seen.update(titles(search(client, "harbour", page=page).get_data(as_text=True)))
    assert len(seen) == 23
    assert search(client, "harbour", page=4).status_code == 404
    for bad in ("x", "0", "-1", "99999999999999999999"):
        assert search(client, "harbour", page=bad).status_code == 404, bad


def test_header_search_box_is_labelled_and_leads_to_results(client, newsroom):
    html = client.get("/").get_data(as_text=True)
    form = re.search(
        r'<form class="site-search"[^>]*action="(/search)"[^>]*>(.*?)</form>', html, re.S
    )
    assert form is not None
    field = re.search(r'<input type="search" id="([^"]+)" name="q"', form.group(2))
    assert f'<label for="{field.group(1)}">Search</label>' in form.group(2)
    assert titles(client.get(form.group(1) + "?q=ferryman").get_data(as_text=True)) == [
        "Council approves footbridge"
    ]


def test_upgrade_indexes_older_posts_and_downgrade_removes_the_index(app, client, add_post):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from blog.extensions import db

    with app.app_context():
        downgrade(revision="0001_initial")
        assert "post_search" not in inspect(db.engine).get_table_names()
    add_post("Written before search existed", body="Quokkas crossed the square.")
    with app.app_context():
        upgrade()
    assert titles(search(client, "quokkas").get_data(as_text=True)) == [
        "Written before search existed"
    ]


def test_autogenerate_leaves_the_search_index_alone(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from blog.extensions import db

    options = {"include_name": app.extensions["migrate"].configure_args["include_name"]}
    with app.app_context(), db.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection, opts=options), db.metadata)
    assert [d for d in diffs if "post_search" in repr(d)] == []


@pytest.mark.browser
def test_reader_searches_from_the_header_box(page, live_server, newsroom):
    page.goto(live_server.url + "/")
    box = page.get_by_role("search").get_by_label("Search", exact=True)
    box.fill('ferryman "market square"')
    box.press("Enter")
    page.wait_for_url("**/search?q=*")
    result = page.locator(".search-result h2 a")
    assert result.all_inner_texts() == ["Council approves footbridge"]
    assert page.locator(".snippet mark").count() >= 1
    assert page.get_by_label("Search the news").input_value() == 'ferryman "market square"'
    result.click()
    page.wait_for_url("**/posts/council-approves-footbridge")
    assert page.locator("h1").inner_text() == "Council approves footbridge"


def test_random_strings_of_fts_punctuation_never_upset_fts5_or_the_page(client, newsroom):
    """Thousands of strings built from the characters FTS5 gives meaning to, straight at FTS5."""
    import random
    import sqlite3

    alphabet = list("\"*():^+-{}.,'\\ _%&|!~<>[]") + ["AND ", "OR ", "NOT ", "NEAR", "NEAR/2"]
    alphabet += ["foot", "bridge", "é", "ß", "\u3000", "\t", "0"]
    rng = random.Random(20261126)
    memory = sqlite3.connect(":memory:")
    memory.execute("CREATE VIRTUAL TABLE t USING fts5(a, b, tokenize='porter unicode61')")
    memory.execute("INSERT INTO t VALUES ('footbridge over the river', 'foot bridge')")
    for n in range(3000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        parsed = parse_query(raw)
        if parsed:
            memory.execute("SELECT count(*) FROM t WHERE t MATCH ?", (fts5_expression(parsed),))
        if n % 100 == 0:
            assert search(client, raw).status_code == 200, raw
    memory.close()


def test_many_matches_rank_only_the_newest_and_say_so(app, client, add_post):
    app.config["SEARCH_WINDOW"] = 4
    # The best match by far, but older than the newest four that match.
    add_post("Harbour harbour harbour", published_at=clock.now() - timedelta(days=30))
    for n in range(5):
        add_post(f"Harbour note {n}", published_at=clock.now() - timedelta(hours=n + 1))
    html = search(client, "harbour").get_data(as_text=True)
    assert (
        "More than 4 posts match “harbour”: these are the best matches among the newest 4." in html
    )
    assert titles(html) == [f"Harbour note {n}" for n in range(4)]  # equal scores: newest first
    assert 'rel="next"' not in html
    assert search(client, "harbour", page=2).status_code == 404

    app.config["SEARCH_WINDOW"] = 6
    html = search(client, "harbour").get_data(as_text=True)
    assert "6 posts match “harbour”." in html
    assert titles(html)[0] == "Harbour harbour harbour"


def test_repeated_search_is_served_from_the_cache(app, client, newsroom):
    from tests.sql_counting import counting

    with counting(app) as statements:
        first = search(client, "pelicans").get_data(as_text=True)
    assert any("post_cache_version" not in s for s in statements)  # the search itself ran
    with counting(app) as statements:
        again = search(client, "pelicans").get_data(as_text=True)
    assert again == first
    assert titles(again) == ["Council approves footbridge"]
    # At most the versions the cache key holds (a plain statement, which only SQLite's own
    # counter sees); never a statement that touches the posts or the search index.
    assert len(statements) <= 1, statements
    assert all("post_cache_version" in statement for statement in statements), statements


def test_cached_results_follow_every_change_at_once(app, client, add_post, newsroom):
    from blog.extensions import db

    assert titles(search(client, "otters").get_data(as_text=True)) == []
    add_post("Otters back in the harbour")
    assert titles(search(client, "otters").get_data(as_text=True)) == ["Otters back in the harbour"]
    add_post("Otters draft", status="draft", published_at=None)
    assert titles(search(client, "otters").get_data(as_text=True)) == ["Otters back in the harbour"]
    edit_post(app, "otters-back-in-the-harbour", status="draft")
    assert titles(search(client, "otters").get_data(as_text=True)) == []

    # A key point changed by hand, outside the editor: the index triggers and the cache
    # version both follow it.
    assert titles(search(client, "kingfishers").get_data(as_text=True)) == []
    with app.app_context():
        db.session.execute(db.text("UPDATE key_point SET text = 'Kingfishers nest here.'"))
        db.session.commit()
    assert titles(search(client, "kingfishers").get_data(as_text=True)) == [
        "Council approves footbridge"
    ]
