"""Turning the editor's form into an article and back, snapshots for revisions, previews."""

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from types import SimpleNamespace

from .. import clock
from ..articles import (
    ContradictionInput,
    parse_contradiction_line,
    parse_source_line,
    set_parts,
    slugify,
    tags_named,
    unique_slug,
)
from ..models import Post
from ..rendering import render_markdown
from .forms import PostForm, lines_of
from .timezones import local_to_utc, utc_to_local


@dataclass
class ArticleInput:
    """What the editor submitted, parsed and with the time in UTC."""

    title: str = ""
    slug: str = ""
    dek: str = ""
    dateline: str = ""
    byline: str = ""
    body: str = ""
    key_points: list[str] = field(default_factory=list)
    contradictions: list[ContradictionInput] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    status: str = "draft"
    published_at: datetime | None = None
    replies_open: bool = True


def input_from_form(form: PostForm) -> ArticleInput:
    """Read a validated editor form."""
    return ArticleInput(
        title=form.title.data,
        slug=form.slug.data or "",
        dek=form.dek.data or "",
        dateline=form.dateline.data or "",
        byline=form.byline.data or "",
        body=(form.body.data or "").replace("\r\n", "\n"),
        key_points=lines_of(form.key_points.data),
        contradictions=[
            parse_contradiction_line(line) for line in lines_of(form.contradictions.data)
        ],
        sources=[parse_source_line(line) for line in lines_of(form.sources.data)],
        tags=[n.strip() for n in (form.tags.data or "").split(",") if n.strip()],
        status=form.status.data,
        published_at=local_to_utc(form.published_at.data),
        replies_open=bool(form.replies_open.data),
    )


def contradiction_line(item) -> str:
    """'Statement [1, 2]' with the cited sources' numbers, as staff type it."""
    numbers = [source.position + 1 for source in item.sources]
    return f"{item.statement} [{', '.join(map(str, numbers))}]" if numbers else item.statement


def source_line(source) -> str:
    return f"{source.name} | {source.url}" if source.url else source.name


def form_data(post: Post) -> dict:
    """The editor's field values for a stored post."""
    return {
        "title": post.title,
        "slug": post.slug,
        "dek": post.dek,
        "dateline": post.dateline,
        "byline": post.byline,
        "body": post.body,
        "key_points": "\n".join(p.text for p in post.key_points),
        "contradictions": "\n".join(contradiction_line(c) for c in post.contradictions),
        "sources": "\n".join(source_line(s) for s in post.sources),
        "tags": ", ".join(t.name for t in post.tags),
        "status": post.status,
        "published_at": utc_to_local(post.published_at),
        "replies_open": post.replies_open,
    }


def apply(post: Post, data: ArticleInput) -> None:
    """Write the input onto the post. A plain edit moves `modified_at`, never `updated_at`."""
    now = clock.now()
    wanted_slug = slugify(data.slug) if data.slug else (post.slug or slugify(data.title))
    if wanted_slug != post.slug:
        post.slug = unique_slug(wanted_slug, exclude_post_id=post.id)
    post.title = data.title
    post.dek = data.dek
    post.dateline = data.dateline
    post.byline = data.byline
    post.body = data.body
    post.body_html = render_markdown(data.body)
    post.status = data.status
    if data.status == "published" and data.published_at is None:
        post.published_at = post.published_at or now
    else:
        post.published_at = data.published_at
    post.replies_open = data.replies_open
    post.tags = tags_named(data.tags)
    set_parts(
        post, key_points=data.key_points, contradictions=data.contradictions, sources=data.sources
    )
    post.modified_at = now
    if post.created_at is None:
        post.created_at = now


def snapshot(post: Post) -> str:
    """The post's content as JSON, kept as a revision."""
    data = ArticleInput(
        title=post.title,
        slug=post.slug,
        dek=post.dek,
        dateline=post.dateline,
        byline=post.byline,
        body=post.body,
        key_points=[p.text for p in post.key_points],
        contradictions=[
            ContradictionInput(c.statement, [s.position + 1 for s in c.sources])
            for c in post.contradictions
        ],
        sources=[(s.name, s.url) for s in post.sources],
        tags=[t.name for t in post.tags],
        status=post.status,
        published_at=post.published_at,
        replies_open=post.replies_open,
    )
    raw = asdict(data)
    raw["published_at"] = post.published_at.isoformat() if post.published_at else None
    return json.dumps(raw, ensure_ascii=False)


def read_snapshot(text: str) -> ArticleInput:
    """Parse a revision's JSON back into an ArticleInput (missing keys get defaults)."""
    known = {f.name for f in fields(ArticleInput)}
    raw = {k: v for k, v in json.loads(text).items() if k in known}
    raw["contradictions"] = [ContradictionInput(**c) for c in raw.get("contradictions", [])]
    raw["sources"] = [tuple(s) for s in raw.get("sources", [])]
    published = raw.get("published_at")
    raw["published_at"] = datetime.fromisoformat(published) if published else None
    return ArticleInput(**raw)


def restore(post: Post, text: str) -> None:
    """Bring back a revision's words and parts. The address, status and publication time stay
    as they are now: restoring old wording must not unpublish a story or move its URL."""
    old = read_snapshot(text)
    old.slug = post.slug
    old.status = post.status
    old.published_at = post.published_at
    old.replies_open = post.replies_open
    apply(post, old)


def preview_article(data: ArticleInput, post: Post | None) -> SimpleNamespace:
    """An unsaved stand-in for the article with the same shape the reader template uses."""
    sources = [
        SimpleNamespace(id=f"p{i}", position=i, name=name, url=url)
        for i, (name, url) in enumerate(data.sources)
        if name
    ]
    contradictions = [
        SimpleNamespace(
            statement=item.statement,
            sources=[sources[n - 1] for n in item.source_numbers if 0 < n <= len(sources)],
        )
        for item in data.contradictions
    ]
    return SimpleNamespace(
        title=data.title,
        dek=data.dek,
        dateline=data.dateline,
        byline=data.byline,
        body_html=render_markdown(data.body),
        published_at=data.published_at or (post.published_at if post else None) or clock.now(),
        updated_at=post.updated_at if post else None,
        key_points=[SimpleNamespace(text=t) for t in data.key_points],
        contradictions=contradictions,
        sources=sources,
        tags=[SimpleNamespace(name=n, slug=slugify(n)) for n in data.tags],
        corrections=list(post.corrections) if post else [],
    )
