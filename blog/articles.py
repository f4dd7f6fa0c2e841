"""Building and changing articles: slugs, tags and the structured parts, shared by every writer
(the desk's editor, the wire importer, the demo seeder)."""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from . import clock
from .extensions import db
from .models import Contradiction, KeyPoint, Post, Source, Tag
from .rendering import render_markdown

SLUG_MAX = 80


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """A lowercase ASCII slug made of words joined by hyphens, cut at a word boundary."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug or (words[0][:max_length] if words else "post")


def unique_slug(wanted: str, exclude_post_id: int | None = None) -> str:
    """The wanted slug, or the same with -2, -3… when another post already has it."""
    base = slugify(wanted)
    taken = set(
        db.session.scalars(
            select(Post.slug).where(Post.slug.startswith(base), Post.id != (exclude_post_id or -1))
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def tags_named(names: list[str]) -> list[Tag]:
    """Existing tags with these names, creating the missing ones (order kept, no repeats)."""
    result: list[Tag] = []
    seen: set[str] = set()
    for raw in names:
        name = " ".join(raw.split())[:60]
        slug = slugify(name, 80)
        if not name or slug in seen:
            continue
        seen.add(slug)
        tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
        if tag is None:
            tag = Tag(name=name, slug=slug)
            db.session.add(tag)
        result.append(tag)
    return result


@dataclass
class ContradictionInput:
    """A statement where sources disagree, with the 1-based numbers of the sources it cites."""

    statement: str
    source_numbers: list[int] = field(default_factory=list)


_CITATION = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]\s*$")


def parse_contradiction_line(line: str) -> ContradictionInput:
    """'Statement [1, 3]' cites sources 1 and 3; a line without brackets cites none."""
    match = _CITATION.search(line)
    if not match:
        return ContradictionInput(line.strip())
    numbers = [int(n) for n in re.findall(r"\d+", match.group(1))]
    return ContradictionInput(line[: match.start()].strip(), numbers)


def parse_source_line(line: str) -> tuple[str, str]:
    """'Name | URL' (the URL may be left out)."""
    name, _, url = line.partition("|")
    return name.strip(), url.strip()


def set_parts(
    post: Post,
    *,
    key_points: list[str],
    contradictions: list[ContradictionInput],
    sources: list[tuple[str, str]],
) -> None:
    """Replace the post's key points, sources and contradictions, keeping their order."""
    post.key_points = [
        KeyPoint(position=i, text=text) for i, text in enumerate(key_points) if text.strip()
    ]
    post.sources = [
        Source(position=i, name=name, url=url) for i, (name, url) in enumerate(sources) if name
    ]
    post.contradictions = [
        Contradiction(
            position=i,
            statement=item.statement,
            sources=[
                post.sources[n - 1] for n in item.source_numbers if 0 < n <= len(post.sources)
            ],
        )
        for i, item in enumerate(contradictions)
        if item.statement
    ]


def create_post(
    *,
    title: str,
    body: str,
    dek: str = "",
    dateline: str = "",
    byline: str = "",
    status: str = "published",
    published_at: datetime | None = None,
    slug: str = "",
    tags: list[str] | None = None,
    key_points: list[str] | None = None,
    contradictions: list[ContradictionInput] | None = None,
    sources: list[tuple[str, str]] | None = None,
    replies_open: bool = True,
    author_id: int | None = None,
) -> Post:
    """Add a new article to the session (the caller commits)."""
    now = clock.now()
    post = Post(
        title=title.strip(),
        slug=unique_slug(slug or title),
        dek=dek.strip(),
        dateline=dateline.strip(),
        byline=byline.strip(),
        body=body,
        body_html=render_markdown(body),
        status=status,
        published_at=published_at or (now if status != "draft" else None),
        created_at=now,
        modified_at=now,
        replies_open=replies_open,
        author_id=author_id,
    )
    post.tags = tags_named(tags or [])
    set_parts(
        post,
        key_points=key_points or [],
        contradictions=contradictions or [],
        sources=sources or [],
    )
    db.session.add(post)
    return post
