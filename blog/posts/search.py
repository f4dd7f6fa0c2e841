"""Full-text search over published posts: FTS5 on SQLite, tsvector on PostgreSQL.

Reader input never reaches the search engine as syntax. The query is cut into words (letters
and digits only) and rebuilt as quoted phrases: `"a phrase"` stays a phrase, `word*` is a
prefix search on SQLite, and everything else (operators, brackets, `NEAR`, stray quotes) is
plain text. The index itself (table `post_search`) is kept in step by database triggers made
in migration 0002_search.

A news site's readers want recent stories, and ranking every match of a common word costs
time in proportion to the archive: so only the newest SEARCH_WINDOW (500) public matches are
ranked, and the page says when older ones match too. Result pages are cached, keyed by the
reader's text and a version the database bumps on any change to what the index or the public
filter sees (migration 0005_search_speed), so a new post is findable at once.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from flask import abort, current_app, render_template, request
from markupsafe import Markup, escape
from sqlalchemy import and_, bindparam, column, func, literal_column, select, table
from sqlalchemy.exc import DatabaseError

from .. import clock, page_cache
from ..extensions import db
from ..models import Post
from .queries import Page, requested_page
from .views import bp

MAX_TERMS = 12
# Private-use characters mark highlights inside snippets; real markup is added only after the
# text around them has been escaped.
MARK_START = "\ue000"
MARK_END = "\ue001"
_WORD = re.compile(r"[^\W_]+")
_CHUNK = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_SEPARATORS = re.compile(r"[^\w'’.*-]+")
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}
_MARKDOWN_LINK_TARGET = re.compile(r"\]\([^)\s]*\)?")
_MARKDOWN_CHARS = re.compile(r"[*`#\[\]]|^>+", re.MULTILINE)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

_fts = table("post_search", column("rowid"))
_pg_index = table("post_search", column("post_id"), column("document"), column("plain"))


@dataclass(frozen=True)
class Term:
    """One phrase of one or more words; `prefix` matches words that start with the last one."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass
class ParsedQuery:
    """Every group must match (AND); within a group any term may (OR); excluded terms must not."""

    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.groups)

    @property
    def size(self) -> int:
        return sum(len(group) for group in self.groups) + len(self.excluded)


def _pieces(raw: str):
    """(text, quoted) pieces: a quoted phrase whole, bare text cut at brackets, colons and such."""
    for match in _CHUNK.finditer(raw or ""):
        sign, quoted, bare = match.group(1), match.group(2), match.group(3)
        if quoted is not None:
            yield sign + quoted, True
            continue
        for piece in _SEPARATORS.split(bare):
            if piece:
                yield piece, False


def parse_query(raw: str) -> ParsedQuery:
    """Read reader input into plain-word terms; nothing in it is passed on as syntax.

    Words in quotes form a phrase, `-word` leaves a word out, a trailing `*` matches the start
    of a word, and the upper-case words OR and NOT act as they do in web search engines. AND and
    NEAR are dropped (terms are all required anyway); every other character only separates words.
    """
    parsed = ParsedQuery()
    pending_or = pending_not = False
    for piece, quoted in _pieces(raw):
        if not quoted and piece in _OPERATORS:
            pending_or = piece == "OR" and bool(parsed.groups)
            pending_not = piece == "NOT"
            continue
        words = tuple(word.lower() for word in _WORD.findall(piece))
        if not words or parsed.size >= MAX_TERMS:
            continue
        term = Term(words, prefix=not quoted and piece.endswith("*") and len(words) == 1)
        if pending_not or piece.startswith("-"):
            parsed.excluded.append(term)
        elif pending_or:
            parsed.groups[-1].append(term)
        else:
            parsed.groups.append([term])
        pending_or = pending_not = False
    return parsed


def _quoted(term: Term, with_prefix: bool = True) -> str:
    return f'"{" ".join(term.words)}"' + ("*" if term.prefix and with_prefix else "")


def fts5_expression(query: ParsedQuery) -> str:
    """An FTS5 MATCH expression built only from double-quoted strings and our own operators."""
    expression = " AND ".join(
        "(" + " OR ".join(_quoted(term) for term in group) + ")" for group in query.groups
    )
    if query.excluded:
        left_out = " OR ".join(_quoted(term) for term in query.excluded)
        expression = f"({expression}) NOT ({left_out})"
    return expression


def websearch_expression(query: ParsedQuery) -> str:
    """Input for websearch_to_tsquery: every term quoted, so only our `or` and `-` act.

    A lone prefix term (`bridg*`) is left out here: see `prefix_words`.
    """
    parts = [
        " or ".join(_quoted(term, False) for term in group)
        for group in query.groups
        if not _lone_prefix(group)
    ]
    parts += [f"-{_quoted(term, False)}" for term in query.excluded]
    return " ".join(parts)


def _lone_prefix(group: list[Term]) -> bool:
    return len(group) == 1 and group[0].prefix


def prefix_words(query: ParsedQuery) -> list[str]:
    """Single words searched by their beginning on PostgreSQL, as `word:*` tsqueries.

    Each is letters and digits only (what `_WORD` matched), so `to_tsquery` sees no operator.
    """
    return [group[0].words[0] for group in query.groups if _lone_prefix(group)]


def highlighted(raw: str | None) -> Markup:
    """Escape a snippet and turn our private markers (only those) into balanced <mark> tags."""
    text = _CONTROL.sub("", raw or "")
    out: list[str] = []
    inside = False
    for piece in re.split(f"([{MARK_START}{MARK_END}])", text):
        if piece == MARK_START:
            if not inside:
                out.append("<mark>")
                inside = True
        elif piece == MARK_END:
            if inside:
                out.append("</mark>")
                inside = False
        else:
            out.append(str(escape(piece)))
    if inside:
        out.append("</mark>")
    return Markup("".join(out))


def plain_snippet(raw: str | None) -> str:
    """Drop the Markdown punctuation a snippet of a post body may carry."""
    text = _MARKDOWN_LINK_TARGET.sub("", raw or "")
    return _MARKDOWN_CHARS.sub("", text).strip()


class Shown(NamedTuple):
    """What a result shows of its post besides the highlights."""

    slug: str
    published_at: datetime
    byline: str
    title: str


@dataclass
class Hit:
    post: Shown
    title: Markup
    snippet: Markup


@dataclass
class ResultPage(Page):
    """One page of hits, with the parsed query the template shows back.

    Only the newest `window` matching posts are ranked; `more` says there are older ones too.
    """

    terms: ParsedQuery = field(default_factory=ParsedQuery)
    more: bool = False


# Post.is_public_clause() with the moment as a parameter, for statements built once.
_PUBLIC = (
    Post.status.in_(("published", "scheduled")),
    Post.published_at.is_not(None),
    Post.published_at <= bindparam("now", type_=Post.published_at.type),
)
_SHOWN = (Post.slug, Post.published_at, Post.byline, Post.title)

# --- SQLite (FTS5) ---------------------------------------------------------------------------
#
# Costs measured on 100,000 posts, a word in 8,333 of them: walking the word's FTS doclist is
# about 0.15 µs a match, bm25() about 2-3 µs a row, a primary-key lookup into `post` about
# 2 µs, a snippet() pass on a seek by rowid about 0.5 ms. So: never bm25 every match, never
# look up every match in `post` when there are many, never give FTS a rowid to seek.

_FTS = literal_column("post_search")
_MATCH = _FTS.op("MATCH")(bindparam("expression"))
# Given ids: FTS walks the part of the doclist between the lowest and the highest (a rowid
# range it can seek to), and SQLite keeps the listed ones. `rowid + 0` hides the list from
# FTS5, which would otherwise seek the doclist afresh for each id (about 0.5 ms each). The ids
# come as one JSON array: one parameter rather than hundreds.
_LISTED = and_(
    _fts.c.rowid.between(bindparam("low"), bindparam("high")),
    (_fts.c.rowid + 0).in_(select(column("value")).select_from(func.json_each(bindparam("ids")))),
)
_MATCHING = select(_fts.c.rowid).select_from(_fts).where(_MATCH)

# How many index entries match, counted no further than the cap: the doclist alone, cheap.
_MATCH_COUNT = select(func.count()).select_from(_MATCHING.limit(bindparam("cap")).subquery())


def _window(by_recency: bool):
    """The newest public posts among the matches, newest first.

    Few matches: look each up in `post` by primary key. Many: walk the visibility index in
    date order and test each post against the set of matches (`post.id + 0` keeps SQLite from
    turning the test into a primary-key lookup per match).
    """
    ids = Post.id + 0 if by_recency else Post.id
    return (
        select(Post.id)
        .where(*_PUBLIC, ids.in_(_MATCHING.scalar_subquery()))
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(bindparam("window"))
    )


_WINDOW_BY_ID = _window(by_recency=False)
_WINDOW_BY_RECENCY = _window(by_recency=True)
# Above this many matches the date-ordered walk costs less than the lookups.
RECENCY_WALK_FROM = 1_500

# Column weights: title, dek, body, key points, tags. Lower bm25 is better.
_SQLITE_SCORES = (
    select(_fts.c.rowid, func.bm25(_FTS, 10.0, 4.0, 1.0, 4.0, 6.0))
    .select_from(_fts)
    .where(_MATCH, _LISTED)
)
# The body, the key points and the dek; the view shows the first snippet with a match.
_SQLITE_PAGE = (
    select(
        _fts.c.rowid,
        *_SHOWN,
        func.highlight(_FTS, 0, MARK_START, MARK_END),
        *(func.snippet(_FTS, number, MARK_START, MARK_END, "…", 28) for number in (2, 3, 1)),
    )
    .select_from(_fts)
    .join(Post, Post.id == _fts.c.rowid)
    .where(_MATCH, _LISTED)
)


def _sqlite_window(params: dict) -> list[int]:
    connection = db.session.connection()
    matched = connection.scalar(_MATCH_COUNT, {**params, "cap": RECENCY_WALK_FROM})
    if not matched:
        return []
    window = _WINDOW_BY_RECENCY if matched >= RECENCY_WALK_FROM else _WINDOW_BY_ID
    return list(connection.scalars(window, params))


def _listed(ids: list[int]) -> dict:
    return {"ids": json.dumps(ids), "low": min(ids), "high": max(ids)}


def _sqlite_scores(params: dict, ids: list[int]) -> dict[int, float]:
    rows = db.session.connection().execute(_SQLITE_SCORES, {**params, **_listed(ids)})
    return {post_id: score for post_id, score in rows}


def _sqlite_page(params: dict, ids: list[int]):
    """(post, title, *snippets) for the posts shown: highlights for these rows only."""
    rows = db.session.connection().execute(_SQLITE_PAGE, {**params, **_listed(ids)})
    return {row[0]: (Shown(*row[1:5]), row[5], list(row[6:])) for row in rows}


# --- PostgreSQL (tsvector) -------------------------------------------------------------------

_ENGLISH = literal_column("'english'::regconfig")
_PG_MARKS = f"StartSel={MARK_START}, StopSel={MARK_END}"


def _pg_query(parsed: ParsedQuery):
    query = func.websearch_to_tsquery(_ENGLISH, websearch_expression(parsed))
    for word in prefix_words(parsed):
        query = query.op("&&")(func.to_tsquery(_ENGLISH, word + ":*"))
    return query


def _pg_window(query, params: dict) -> list[int]:
    statement = (
        select(Post.id)
        .join(_pg_index, _pg_index.c.post_id == Post.id)
        .where(_pg_index.c.document.op("@@")(query), *_PUBLIC)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(bindparam("window"))
    )
    return list(db.session.connection().scalars(statement, params))


def _pg_scores(query, ids: list[int]) -> dict[int, float]:
    rank = func.ts_rank_cd(_pg_index.c.document, query, 32)
    statement = select(_pg_index.c.post_id, rank).where(_pg_index.c.post_id.in_(ids))
    # ts_rank_cd: higher is better; negated so both engines sort ascending.
    return {post_id: -score for post_id, score in db.session.connection().execute(statement)}


def _pg_page(query, ids: list[int]):
    title = func.ts_headline(_ENGLISH, Post.title, query, _PG_MARKS + ", HighlightAll=true")
    snippet = func.ts_headline(
        _ENGLISH,
        _pg_index.c.plain,
        query,
        _PG_MARKS + ', MaxFragments=2, MinWords=12, MaxWords=32, FragmentDelimiter=" … "',
    )
    statement = (
        select(Post.id, *_SHOWN, title, snippet)
        .join(_pg_index, _pg_index.c.post_id == Post.id)
        .where(Post.id.in_(ids))
    )
    rows = db.session.connection().execute(statement)
    return {row[0]: (Shown(*row[1:5]), row[5], [row[6]]) for row in rows}


# --- both ------------------------------------------------------------------------------------


def _best(snippets: list[str | None]) -> str:
    """The first snippet holding a highlight, else the first with any text (the body's start)."""
    for snippet in snippets:
        if snippet and MARK_START in snippet:
            return snippet
    return next((snippet for snippet in snippets if snippet), "")


def search_posts(terms: ParsedQuery, page: int, per_page: int, window: int) -> ResultPage:
    """Rank the newest `window` public posts that match (bm25 or ts_rank_cd); one page of them.

    Three or four short statements whatever the number of matches: the window of post ids
    (newest first), the scores of those posts only, and highlights for the page's posts only.
    Equal scores go to the newer post.
    """
    params = {"now": clock.now(), "window": window + 1}
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        query = _pg_query(terms)
        ids = _pg_window(query, params)
    else:
        params["expression"] = fts5_expression(terms)
        ids = _sqlite_window(params)
    more = len(ids) > window
    ids = ids[:window]
    if not ids:
        return ResultPage([], page, per_page, 0, terms)
    scores = _pg_scores(query, ids) if postgres else _sqlite_scores(params, ids)
    # A stable sort of the newest-first window: equal scores stay newest first.
    ranked = sorted(ids, key=lambda post_id: scores.get(post_id, 0.0))
    shown = ranked[(page - 1) * per_page : page * per_page]
    found = {}
    if shown:
        found = _pg_page(query, shown) if postgres else _sqlite_page(params, shown)
    hits = []
    for post_id in shown:
        if post_id not in found:  # changed between two statements: leave it out of this page
            continue
        post, title, snippets = found[post_id]
        hits.append(
            Hit(
                post,
                highlighted(title or post.title),
                highlighted(plain_snippet(_best(snippets))),
            )
        )
    return ResultPage(hits, page, per_page, len(ids), terms, more)


# --- the page and its cache ------------------------------------------------------------------

# post_cache_version row bumped by migration 0005's triggers on every change the index or the
# public filter may see (posts, key points, tags).
SEARCH_INDEX = -2


def cached_results(raw: str, page: int, render: Callable[[], str]) -> str | bytes:
    """A result page from the cache while the search index and the site are unchanged.

    Keyed by the reader's exact text (the page shows it back), the page number, the build and
    the versions the database bumps (blog/page_cache.py; row SEARCH_INDEX for the index), and
    kept no later than the moment the next scheduled post comes due. Readers with a page of
    their own (staff, a flashed message) and addresses with other arguments render afresh.
    """
    if not page_cache.shared_view() or set(request.args) - {"q", "page"}:
        return render()
    seen = page_cache.versions(SEARCH_INDEX, page_cache.SITE_WIDE)
    text = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    parts = f"{text}:{page}:{seen[SEARCH_INDEX]}.{seen[page_cache.SITE_WIDE]}"
    timeout = int(current_app.config.get("SEARCH_CACHE_SECONDS", 600))
    return page_cache.cached_until_due("search", parts, render, timeout=timeout)


@bp.get("/search")
def search():
    """Search published posts; empty, odd or hostile input gets a page, never an error."""
    raw = request.args.get("q", "")
    limit = int(current_app.config.get("SEARCH_MAX_QUERY", 200))
    page_number = requested_page()  # the same 1..1,000,000 rule as every list
    context = {"query": raw, "results": None, "message": None, "max_length": limit}
    if len(raw) > limit:
        context["message"] = (
            f"Searches are limited to {limit} characters; yours has {len(raw)}. "
            "Please shorten it and search again."
        )
        return render_template("posts/search.html", **context), 400
    terms = parse_query(raw)
    if not terms:
        if terms.excluded:
            context["message"] = "Please add a word to look for, not only words to leave out."
        elif raw.strip():
            context["message"] = "Please type at least one word or number to search for."
        return render_template("posts/search.html", **context)
    per_page = int(current_app.config.get("SEARCH_RESULTS_PER_PAGE", 10))
    window = int(current_app.config.get("SEARCH_WINDOW", 500))

    def render() -> str:
        results = search_posts(terms, page_number, per_page, window)
        if page_number > 1 and page_number > results.pages:
            abort(404)
        return render_template(
            "posts/search.html", **{**context, "results": results, "window": window}
        )

    try:
        return cached_results(raw, page_number, render)
    except DatabaseError:
        # Our quoting leaves nothing for the engine to reject; if it still does, say so kindly.
        db.session.rollback()
        current_app.logger.exception("search failed for %r", raw)
        context["message"] = "Search is not available right now. Please try again later."
        return render_template("posts/search.html", **context), 503
