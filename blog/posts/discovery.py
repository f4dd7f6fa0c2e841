"""For crawlers and browsers of the past: /sitemap.xml, /robots.txt and the monthly archive."""

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template
from sqlalchemy import func, select

from ..extensions import db
from ..models import Post, Tag, post_tag
from .absolute import absolute_url
from .conditional import conditional_response
from .queries import paginate, public_posts
from .views import bp
from .xml_tree import escape_text as xml_escape

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "UTC")


def _substantive(updated: datetime | None, published: datetime) -> datetime:
    return updated or published


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Month:
    """A calendar month in the newsroom's time zone."""

    year: int
    month: int

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=_zone()).astimezone(UTC)

    @property
    def end(self) -> datetime:
        following = Month(self.year + self.month // 12, self.month % 12 + 1)
        return following.start

    @property
    def label(self) -> str:
        return datetime(self.year, self.month, 1).strftime("%B %Y")

    @classmethod
    def of(cls, moment: datetime) -> "Month":
        local = moment.astimezone(_zone())
        return cls(local.year, local.month)


def archive_months() -> list[tuple[Month, int]]:
    """Every month with public posts, newest first, with how many each holds."""
    times = db.session.scalars(select(Post.published_at).where(Post.is_public_clause()))
    counts = Counter(Month.of(moment) for moment in times)
    return sorted(counts.items(), key=lambda item: (item[0].year, item[0].month), reverse=True)


def _post_rows(newest_first: bool, offset: int = 0, limit: int | None = None):
    """(address, last substantive change) of public posts, newest first or in id order."""
    order = (Post.published_at.desc(), Post.id.desc()) if newest_first else (Post.id,)
    query = select(Post.slug, Post.published_at, Post.updated_at).where(Post.is_public_clause())
    posts = db.session.execute(query.order_by(*order).offset(offset).limit(limit)).all()
    # url_for per row costs more than the query on a big site: build on one address instead.
    article_prefix = absolute_url("posts.article", slug="x")[:-1]
    return [
        (article_prefix + quote(slug), _substantive(updated, published))
        for slug, published, updated in posts
    ]


def _page_rows() -> list[tuple[str, datetime | None]]:
    """The front page and every tag page that lists a public post."""
    public = Post.is_public_clause()
    published, updated = db.session.execute(
        select(func.max(Post.published_at), func.max(Post.updated_at)).where(public)
    ).one()
    stamps = [_aware(t) for t in (published, updated) if t is not None]
    rows = [(absolute_url("posts.index"), max(stamps, default=None))]
    tag_rows = db.session.execute(
        select(Tag.slug, func.max(Post.published_at), func.max(Post.updated_at))
        .join(post_tag, post_tag.c.tag_id == Tag.id)
        .join(Post, Post.id == post_tag.c.post_id)
        .where(public)
        .group_by(Tag.id, Tag.slug)
        .order_by(Tag.slug)
    ).all()
    for slug, published, updated in tag_rows:
        # Aggregates may come back without the column type's zone handling.
        stamps = [_aware(t) for t in (published, updated) if t is not None]
        rows.append((absolute_url("posts.tag", slug=slug), max(stamps, default=None)))
    return rows


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _xml(root: str, rows: list[tuple[str, datetime | None]], item: str = "url"):
    # Plain string building: ElementTree took as long as the query on a 10,000-post site.
    lines = ['<?xml version="1.0" encoding="utf-8"?>', f'<{root} xmlns="{SITEMAP_NS}">']
    for location, lastmod in rows:
        stamp = f"<lastmod>{_w3c(lastmod)}</lastmod>" if lastmod is not None else ""
        lines.append(f"<{item}><loc>{xml_escape(location)}</loc>{stamp}</{item}>")
    lines.append(f"</{root}>")
    newest = max((lastmod for _, lastmod in rows if lastmod), default=None)
    return conditional_response("\n".join(lines) + "\n", "application/xml", newest)


def _per_file() -> int:
    return int(current_app.config.get("SITEMAP_URLS_PER_FILE", 50_000))


def _public_count() -> int:
    return db.session.scalar(select(func.count(Post.id)).where(Post.is_public_clause())) or 0


@bp.get("/sitemap.xml")
def sitemap():
    """List every public article and tag page, with its last substantive change.

    The protocol allows 50,000 addresses a file; a larger site gets a sitemap index instead,
    pointing at the page list and at numbered files of posts.
    """
    pages = _page_rows()
    total = _public_count()
    if total + len(pages) <= _per_file():
        return _xml("urlset", pages + _post_rows(newest_first=True))
    files = math.ceil(total / _per_file())
    parts = [(absolute_url("posts.sitemap_pages"), pages[0][1])]
    parts += [(absolute_url("posts.sitemap_posts", number=n), None) for n in range(1, files + 1)]
    return _xml("sitemapindex", parts, item="sitemap")


@bp.get("/sitemap-pages.xml")
def sitemap_pages():
    """The front page and tag pages, for sites whose sitemap is split."""
    return _xml("urlset", _page_rows())


@bp.get("/sitemap-posts-<int:number>.xml")
def sitemap_posts(number: int):
    """One numbered file of posts (in id order, so a post stays in its file)."""
    per_file = _per_file()
    if number < 1 or (number - 1) * per_file >= max(_public_count(), 1):
        abort(404)
    return _xml("urlset", _post_rows(False, (number - 1) * per_file, per_file))


@bp.get("/robots.txt")
def robots():
    """Tell crawlers where the sitemap is and which pages are not worth crawling."""
    body = (
        "User-agent: *\n"
        "Disallow: /admin/\n"
        "Disallow: /search\n"
        f"\nSitemap: {absolute_url('posts.sitemap')}\n"
    )
    return body, 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/archive")
def archive_index():
    """List the months that have published posts."""
    return render_template("posts/archive_index.html", months=archive_months())


@bp.get("/archive/<int:year>/<int:month>")
def archive_month(year: int, month: int):
    """Show one month's published posts, oldest months reachable by prev/next links."""
    if not (1 <= month <= 12 and 1970 <= year <= 9998):
        abort(404)
    wanted = Month(year, month)
    query = public_posts().where(Post.published_at >= wanted.start, Post.published_at < wanted.end)
    page = paginate(query, current_app.config["POSTS_PER_PAGE"])
    if not page.items:
        abort(404)
    public = Post.is_public_clause()
    earlier = db.session.scalar(
        select(func.max(Post.published_at)).where(public, Post.published_at < wanted.start)
    )
    later = db.session.scalar(
        select(func.min(Post.published_at)).where(public, Post.published_at >= wanted.end)
    )
    return render_template(
        "posts/archive.html",
        month=wanted,
        page=page,
        earlier=Month.of(_aware(earlier)) if earlier else None,
        later=Month.of(_aware(later)) if later else None,
    )
