"""Full-text search over published posts: FTS5 on SQLite, tsvector on PostgreSQL.

Reader input never reaches the search engine as syntax. The query is cut into words (letters
and digits only) and rebuilt as quoted phrases: `"a phrase"` stays a phrase, `word*` is a
prefix search on SQLite, and everything else (operators, brackets, `NEAR`, stray quotes) is
plain text. The index itself (table `post_search`) is kept in step by database triggers made
in migration 0002_search.
"""

import re
from dataclasses import dataclass, field

from flask import abort, current_app, render_template, request
from markupsafe import Markup, escape
from sqlalchemy import column, func, literal_column, select, table
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import selectinload

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


@dataclass
class Hit:
    post: Post
    title: Markup
    snippet: Markup


@dataclass
class ResultPage(Page):
    """One page of hits, with the parsed query the template shows back."""

    terms: ParsedQuery = field(default_factory=ParsedQuery)


def _sqlite_rows(expression: str, limit: int, offset: int):
    """Rank in the FTS index first (a materialised CTE, so SQLite cannot start from `post`),
    then keep public posts, then build highlights and snippets for one page only."""
    fts = literal_column("post_search")
    match = fts.op("MATCH")(expression)
    # Column weights: title, dek, body, key points, tags.
    score = func.bm25(fts, 10.0, 4.0, 1.0, 4.0, 6.0)
    matches = (
        select(_fts.c.rowid.label("post_id"), score.label("score"))
        .select_from(_fts)
        .where(match)
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )
    public = select(Post).join(matches, matches.c.post_id == Post.id).where(Post.is_public_clause())
    total = db.session.scalar(select(func.count()).select_from(public.subquery()))
    posts = db.session.scalars(
        public.order_by(matches.c.score, Post.published_at.desc(), Post.id.desc())
        .limit(limit)
        .offset(offset)
        .options(selectinload(Post.tags))
    ).all()
    if not posts:
        return total, []
    # The body, the key points and the dek; the view shows the first snippet with a match.
    snippets = [func.snippet(fts, number, MARK_START, MARK_END, "…", 28) for number in (2, 3, 1)]
    marked = {
        row[0]: row[1:]
        for row in db.session.execute(
            select(_fts.c.rowid, func.highlight(fts, 0, MARK_START, MARK_END), *snippets)
            .select_from(_fts)
            .where(match, _fts.c.rowid.in_([post.id for post in posts]))
        )
    }
    return total, [(post, *marked.get(post.id, (post.title, None, None, None))) for post in posts]


def _postgres_rows(parsed: ParsedQuery, limit: int, offset: int):
    english = literal_column("'english'::regconfig")
    query = func.websearch_to_tsquery(english, websearch_expression(parsed))
    for word in prefix_words(parsed):
        query = query.op("&&")(func.to_tsquery(english, word + ":*"))
    rank = func.ts_rank_cd(_pg_index.c.document, query, 32)
    marks = f"StartSel={MARK_START}, StopSel={MARK_END}"
    title = func.ts_headline(english, Post.title, query, marks + ", HighlightAll=true")
    snippet = func.ts_headline(
        english,
        _pg_index.c.plain,
        query,
        marks + ', MaxFragments=2, MinWords=12, MaxWords=32, FragmentDelimiter=" … "',
    )
    joined = (
        select(Post)
        .join(_pg_index, _pg_index.c.post_id == Post.id)
        .where(_pg_index.c.document.op("@@")(query), Post.is_public_clause())
    )
    total = db.session.scalar(select(func.count()).select_from(joined.subquery()))
    rows = db.session.execute(
        joined.add_columns(title, snippet)
        .order_by(rank.desc(), Post.published_at.desc(), Post.id.desc())
        .limit(limit)
        .offset(offset)
        .options(selectinload(Post.tags))
    ).all()
    return total, rows


def _best(snippets: list[str | None]) -> str:
    """The first snippet holding a highlight, else the first with any text (the body's start)."""
    for snippet in snippets:
        if snippet and MARK_START in snippet:
            return snippet
    return next((snippet for snippet in snippets if snippet), "")


def search_posts(terms: ParsedQuery, page: int, per_page: int) -> ResultPage:
    """Rank public posts against the terms (bm25 or ts_rank_cd) and return one page."""
    offset = (page - 1) * per_page
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        total, rows = _postgres_rows(terms, per_page, offset)
    else:
        total, rows = _sqlite_rows(fts5_expression(terms), per_page, offset)
    hits = [
        Hit(post, highlighted(title), highlighted(plain_snippet(_best(snippets))))
        for post, title, *snippets in rows
    ]
    return ResultPage(hits, page, per_page, total or 0, terms)


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
    try:
        results = search_posts(terms, page_number, per_page)
    except DatabaseError:
        # Our quoting leaves nothing for the engine to reject; if it still does, say so kindly.
        db.session.rollback()
        current_app.logger.exception("search failed for %r", raw)
        context["message"] = "Search is not available right now. Please try again later."
        return render_template("posts/search.html", **context), 503
    if page_number > 1 and page_number > results.pages:
        abort(404)
    context["results"] = results
    return render_template("posts/search.html", **context)
