"""Helpers for the discovery tests (feeds, search, sitemap, structured data)."""

import json
import re
from html.parser import HTMLParser

from flask import Flask
from sqlalchemy import select

from blog import clock
from blog.articles import set_parts, tags_named
from blog.extensions import db
from blog.models import Correction, Post
from blog.rendering import render_markdown

EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def edit_post(app: Flask, current_slug: str, **changes) -> None:
    """Change a post the way the desk's editor does (a plain edit moves only modified_at)."""
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == current_slug))
        assert post is not None, current_slug
        for name, value in changes.items():
            if name == "body":
                post.body = value
                post.body_html = render_markdown(value)
            elif name == "tags":
                post.tags = tags_named(value)
            elif name == "key_points":
                set_parts(post, key_points=value, contradictions=[], sources=[])
            else:
                setattr(post, name, value)
        post.modified_at = clock.now()
        db.session.commit()


def add_note(app: Flask, slug: str, text: str, kind: str = "Correction") -> None:
    """Append a correction or update note; that alone moves the post's updated time."""
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == slug))
        now = clock.now()
        post.corrections.append(Correction(kind=kind, text=text, created_at=now))
        post.updated_at = now
        post.modified_at = now
        db.session.commit()


def delete_post(app: Flask, slug: str) -> None:
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == slug))
        db.session.delete(post)
        db.session.commit()


class _HeadParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.scripts: list[str] = []
        self._in_jsonld = False

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        if tag == "meta":
            self.meta.append(attributes)
        elif tag == "link":
            self.links.append(attributes)
        elif tag == "script" and attributes.get("type") == "application/ld+json":
            self._in_jsonld = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_jsonld = False

    def handle_data(self, data):
        if self._in_jsonld:
            self.scripts[-1] += data


def parse_head(html: str) -> _HeadParser:
    """Meta tags, link tags and JSON-LD blocks of a page, as a browser's parser sees them."""
    parser = _HeadParser()
    parser.feed(html)
    return parser


def json_ld(html: str) -> list[dict]:
    """Every JSON-LD block of a page, decoded with json.loads."""
    return [json.loads(block) for block in parse_head(html).scripts]


def meta_values(html: str, key: str) -> list[str]:
    """The content of every <meta property=key> or <meta name=key>."""
    return [
        m.get("content", "")
        for m in parse_head(html).meta
        if m.get("property") == key or m.get("name") == key
    ]
