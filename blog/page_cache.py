"""Cached HTML for pages every reader sees alike, keyed by versions the database keeps.

Migration 0003 keeps `post_cache_version`: one row per article, bumped by triggers whenever
anything the article page shows changes (the post, its parts, tags, approved replies); row 0
for site-wide changes (settings, staff) and row -1 for the list of posts (front and tag page
counts). Because the numbers live in the database, every process and every machine agrees on
them, so a per-process cache (the default) and a shared Redis cache are both safe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from flask import Flask, abort, current_app, request, session
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, func, or_, select

from . import clock
from .auth import staff_signed_in
from .extensions import cache, db
from .models import Post
from .plain_sql import PlainSelect
from .tracked_config import derived

SITE_WIDE = 0
POST_LIST = -1

# Not in the models' metadata: the triggers own this table (see include_name below).
_metadata = MetaData()
post_cache_version = Table(
    "post_cache_version",
    _metadata,
    Column("post_id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)


# Made by migrations alone: 0004's in a form the models cannot state portably (see there),
# and 0008's partial index, whose WHERE stated in the model (postgresql_where=) would make
# SQLAlchemy import that dialect in every worker, whatever the database: about 2 MB and 15 ms.
MIGRATION_ONLY_INDEXES = {"ix_reply_post_name", "ix_reply_parent_id"}


def include_object(obj, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """Keep Alembic's autogenerate off the trigger-kept version table and the indexes that
    only migrations make."""
    if type_ == "table" and name == post_cache_version.name:
        return False
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


def enabled() -> bool:
    """On unless PAGE_CACHE is false, and off in debug mode, where templates reload."""
    app = current_app._get_current_object()
    return bool(app.config.get("PAGE_CACHE", True)) and not app.debug


def shared_view() -> bool:
    """This view's page is the one every anonymous reader gets: no flashed message for this
    reader, no staff signed in, the cache on."""
    return enabled() and not session.get("_flashes") and not staff_signed_in()


def cached_list_page(scope: str, render: Callable[[], str]) -> str | bytes:
    """A list page (front, tag) from the cache while no post changed and none came due.

    Only ?page= may vary; any other query argument renders afresh.
    """
    if not shared_view() or set(request.args) - {"page"}:
        return render()
    seen = versions(POST_LIST, SITE_WIDE)
    parts = f"{scope}:{request.args.get('page', '1')}:{seen[POST_LIST]}.{seen[SITE_WIDE]}"
    return cached_until_due("list", parts, render)


def cached_until_due(kind: str, parts: str, render: Callable[[], str], timeout=None) -> bytes:
    """render(), cached under the build, this site's address and `parts` (which carry the
    versions it depends on), and kept no later than the next scheduled post comes due.

    Kept as UTF-8 bytes, so a hit is not encoded again on every view."""
    now = clock.now()
    key = f"{kind}:{build_tag()}:{site_address()}:{parts}"
    hit = cache.get(key)
    if hit is not None and (hit[1] is None or now < hit[1]):
        return hit[0]
    html = render().encode()
    cache.set(key, (html, next_due(now)), timeout=timeout)
    return html


_PLAIN = (str, int, float, bool, type(None), list, tuple, dict)
# Settings that differ between hosts sharing one cache but never change a page.
_HOST_ONLY = ("INSTANCE_PATH", "SECRET_KEY", "SQLALCHEMY_", "CACHE_", "RATELIMIT_", "MAIL_")


def _templates_digest(app: Flask) -> str:
    digest = hashlib.sha256()
    folder = Path(app.root_path, app.template_folder or "templates")
    for template in sorted(folder.rglob("*.html")):
        digest.update(template.read_bytes())
    return digest.hexdigest()[:12]


def _settings_digest(app: Flask) -> str:
    # One string hashed once (same digest as hashing line by line, at a fraction of the cost).
    lines = "".join(
        f"{key}={value!r}\n"
        for key, value in sorted(app.config.items())
        if isinstance(value, _PLAIN) and not key.startswith(_HOST_ONLY)
    )
    return hashlib.sha256(lines.encode()).hexdigest()[:12]


def build_tag() -> str:
    """Changes with the templates (read once a process) and with any setting (recomputed
    after every change to the config, which counts them: see tracked_config), so a setting
    changed at run time never meets a page cached before it. Only a digest of the settings
    goes into keys, never their values."""
    app = current_app._get_current_object()
    templates = app.extensions.get("page_cache_templates")
    if templates is None:
        templates = app.extensions["page_cache_templates"] = _templates_digest(app)
    return f"{templates}.{derived(app, 'page_cache_settings', _settings_digest)}"


def site_address() -> str:
    """Scheme, host and script root of this request: pages hold absolute links to it, so
    pages for different addresses are cached apart (cheaper than request.url_root)."""
    return f"{request.scheme}://{request.host}{request.root_path}/"


_VERSIONS = select(post_cache_version.c.post_id, post_cache_version.c.version).where(
    post_cache_version.c.post_id.in_(bindparam("ids", expanding=True))
)


# One or two rows, the common case (a list or result page: its own row and the site-wide one),
# as a plain statement: a third of the cost of the Session's Core path below, on every hit.
_TWO_VERSIONS = PlainSelect(
    select(post_cache_version.c.post_id, post_cache_version.c.version).where(
        or_(
            post_cache_version.c.post_id == bindparam("first"),
            post_cache_version.c.post_id == bindparam("second"),
        )
    )
)


def versions(*ids: int) -> dict[int, int]:
    """The current version of each row asked for, in one statement (0 when a row is missing)."""
    if len(ids) <= 2:
        rows = _TWO_VERSIONS.all(first=ids[0], second=ids[-1])
    else:
        # On the session's connection: plain columns need none of the ORM's result handling,
        # which cost as much as the statement itself.
        rows = db.session.connection().execute(_VERSIONS, {"ids": list(ids)})
    found = {row[0]: row[1] for row in rows}
    return {i: found.get(i, 0) for i in ids}


def article_key(post_id: int, closed: bool, seen: dict[int, int] | None = None) -> str:
    """The cache key of an article's shared HTML: build, address, versions and open/closed."""
    seen = seen or versions(SITE_WIDE, post_id)
    return (
        f"article:{build_tag()}:{site_address()}:{post_id}:"
        f"{seen[SITE_WIDE]}.{seen[post_id]}:{int(closed)}"
    )


# Post.is_public_clause() with the moment as a parameter, for statements built once.
_PUBLIC = (
    Post.status.in_(("published", "scheduled")),
    Post.published_at.is_not(None),
    Post.published_at <= bindparam("now", type_=Post.published_at.type),
)
_PUBLIC_POST = select(Post).where(Post.slug == bindparam("slug"), *_PUBLIC)


def public_post_or_404(slug: str) -> Post:
    """posts.queries.public_post_or_404 with its statement built once (the reply POST's path,
    where building it cost more than running it)."""
    post = db.session.scalar(_PUBLIC_POST, {"slug": slug, "now": clock.now()})
    if post is None:
        abort(404)
    return post


_own = post_cache_version.alias("own_version")
_site = post_cache_version.alias("site_version")


# Built once and run as a PlainSelect: the hottest statement of the site. The visibility test
# is Post.is_public_clause() with the moment as a parameter (and OR for IN, which PlainSelect
# needs). The reply POST reads it in one statement with the earlier replies it looks at
# (replies/rules.py), hence the columns `extra` adds.
def article_state_select(*extra):
    """The public post named by :slug at :now: id, replies_open, published_at, version,
    site_version, then `extra`."""
    return (
        select(
            Post.id,
            Post.replies_open,
            Post.published_at,
            func.coalesce(_own.c.version, 0).label("version"),
            func.coalesce(_site.c.version, 0).label("site_version"),
            *extra,
        )
        .select_from(Post)
        .outerjoin(_own, _own.c.post_id == Post.id)
        .outerjoin(_site, _site.c.post_id == SITE_WIDE)
        .where(
            Post.slug == bindparam("slug"),
            or_(Post.status == "published", Post.status == "scheduled"),
            *_PUBLIC[1:],
        )
    )


_ARTICLE_STATE = PlainSelect(article_state_select())


def public_article_state(slug: str):
    """What a cache hit needs about a public post, with its versions, in one statement.

    A row with id, replies_open, published_at, version, site_version; None when the slug names
    no public post.
    """
    return _ARTICLE_STATE.first(slug=slug, now=clock.now())


def next_due(now: datetime) -> datetime | None:
    """When the next published or scheduled post becomes public (counts change then)."""
    return db.session.scalar(
        select(func.min(Post.published_at)).where(
            Post.status.in_(("published", "scheduled")), Post.published_at > now
        )
    )


def cached_count(scope: str, count) -> int:
    """A list's total from the cache while no post changed and none came due; else `count()`."""
    if not enabled():
        return count()
    now = clock.now()
    key = f"count:{scope}:{versions(POST_LIST)[POST_LIST]}"
    hit = cache.get(key)
    if hit is not None:
        total, valid_until = hit
        if valid_until is None or now < valid_until:
            return total
    total = count()
    cache.set(key, (total, next_due(now)))
    return total
