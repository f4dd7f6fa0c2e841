"""Structured data and sharing cards: NewsArticle and NewsMediaOrganization JSON-LD, Open
Graph and Twitter tags. Templates render the dicts with `tojson`, which escapes `<`, `>` and
`&`, so no text in a post can close the script element.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from ..models import Post
from .absolute import absolute_path, absolute_url, base_url, logo_url, scrub_emails
from .views import bp

CORRECTION_KINDS = ("Correction", "Clarification")
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|&|\band\b)\s*")


def _iso(moment: datetime | None) -> str | None:
    """ISO-8601 with the newsroom's offset, as Google asks for."""
    if moment is None:
        return None
    zone = ZoneInfo(current_app.config.get("TIMEZONE") or "UTC")
    return moment.astimezone(zone).isoformat(timespec="seconds")


def author_names(post: Post) -> list[str]:
    """The people in the byline ("A, B and C" gives three), with no address in any of them."""
    names = [scrub_emails(name) for name in _AUTHOR_SPLIT.split(post.byline or "")]
    return [name for name in names if name.strip()]


def article_description(post: Post) -> str:
    """The dek, else the first key points, else nothing."""
    if post.dek:
        return post.dek
    return " ".join(point.text for point in post.key_points[:3])


def _organization(with_url: bool = True) -> dict:
    config = current_app.config
    organization: dict = {"@type": "NewsMediaOrganization", "name": config["SITE_NAME"]}
    if with_url:
        organization["url"] = base_url() + "/"
    logo = logo_url()
    if logo:
        organization["logo"] = {"@type": "ImageObject", "url": logo}
    return organization


@bp.app_template_global()
def organization_jsonld() -> dict:
    """The newsroom as schema.org NewsMediaOrganization, for the front page."""
    organization = {"@context": "https://schema.org", **_organization()}
    description = current_app.config.get("SITE_DESCRIPTION")
    if description:
        organization["description"] = description
    return organization


@bp.app_template_global()
def article_jsonld(post: Post) -> dict:
    """A NewsArticle description of a post with every property we can fill honestly."""
    url = absolute_url("posts.article", slug=post.slug)
    names = author_names(post)
    data: dict = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": post.title,
        "datePublished": _iso(post.published_at),
        "dateModified": _iso(post.updated_at or post.published_at),
        "author": (
            [{"@type": "Person", "name": name} for name in names] if names else [_organization()]
        ),
        "publisher": _organization(),
        "isAccessibleForFree": True,
    }
    description = article_description(post)
    if description:
        data["description"] = description
    if post.dateline:
        data["dateline"] = post.dateline
    if post.tags:
        data["articleSection"] = post.tags[0].name
        data["keywords"] = [tag.name for tag in post.tags]
    if post.key_points:
        data["abstract"] = " ".join(point.text for point in post.key_points)
    logo = logo_url()
    if logo:
        data["image"] = [logo]
    citations = [
        {"@type": "CreativeWork", "name": source.name, "url": source.url}
        for source in post.sources
        if source.url.startswith(("http://", "https://"))
    ]
    if citations:
        data["citation"] = citations
    corrections = [
        {
            "@type": "CorrectionComment",
            "text": f"{note.kind}: {note.text}",
            "datePublished": _iso(note.created_at),
        }
        for note in post.corrections
        if note.kind in CORRECTION_KINDS
    ]
    if corrections:
        data["correction"] = corrections
    return data


@bp.app_template_global()
def article_meta(post: Post) -> list[tuple[str, str, str]]:
    """Open Graph and Twitter card tags as (attribute, name, content) triples."""
    config = current_app.config
    description = article_description(post) or config.get("SITE_DESCRIPTION", "")
    tags: list[tuple[str, str, str]] = [
        ("property", "og:type", "article"),
        ("property", "og:site_name", config["SITE_NAME"]),
        ("property", "og:title", post.title),
        ("property", "og:url", absolute_url("posts.article", slug=post.slug)),
        ("property", "og:description", description),
        ("property", "article:published_time", _iso(post.published_at) or ""),
        ("property", "article:modified_time", _iso(post.updated_at or post.published_at) or ""),
    ]
    tags += [("property", "article:author", name) for name in author_names(post)]
    if post.tags:
        tags.append(("property", "article:section", post.tags[0].name))
        tags += [("property", "article:tag", tag.name) for tag in post.tags]
    logo = logo_url()
    if logo:
        tags.append(("property", "og:image", logo))
    tags += [
        ("name", "twitter:card", "summary"),
        ("name", "twitter:title", post.title),
        ("name", "twitter:description", description),
    ]
    return tags


@bp.app_template_filter("absolute")
def absolute(path: str) -> str:
    """Make a site path absolute on the configured base URL (canonical links, cards)."""
    return absolute_path(path)
