"""Reading WordPress export files (WXR 1.0 to 1.2): posts, their authors, tags and comments.

Only the standard library is used. ElementTree never fetches external entities or DTDs, and
the expat it is built on (2.4.1 and later) refuses entity-expansion bombs, so an export file
from elsewhere cannot make us read local files or exhaust memory.
"""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

# Namespace URI prefix -> the short prefix WordPress uses (the version number varies).
_NAMESPACES = (
    ("http://wordpress.org/export/", "wp"),
    ("http://purl.org/rss/1.0/modules/content/", "content"),
    ("http://purl.org/dc/elements/1.1/", "dc"),
)
_STATUS = {"publish": "published", "future": "scheduled", "draft": "draft", "pending": "draft"}
_STATUS.update({"private": "draft"})


@dataclass
class WxrComment:
    wp_id: int
    parent_wp_id: int
    author: str
    email: str
    url: str
    ip: str
    created_gmt: datetime | None
    created_local: datetime | None
    text: str
    approved: str
    kind: str


@dataclass
class WxrPost:
    wp_id: int
    title: str
    slug: str
    status: str
    published_gmt: datetime | None
    published_local: datetime | None
    author_login: str
    body: str
    excerpt: str
    tags: list[str] = field(default_factory=list)
    comments: list[WxrComment] = field(default_factory=list)


@dataclass
class WxrExport:
    site_title: str
    authors: dict[str, str]
    posts: list[WxrPost]


def _local_name(tag: str) -> str:
    """'{http://wordpress.org/export/1.2/}post_id' -> 'wp:post_id'."""
    if not tag.startswith("{"):
        return tag
    uri, _, local = tag[1:].partition("}")
    for prefix_uri, prefix in _NAMESPACES:
        if uri.startswith(prefix_uri):
            if prefix == "wp" and uri.rstrip("/").endswith("excerpt"):
                return f"excerpt:{local}"
            return f"{prefix}:{local}"
    return local


def _children(element: ET.Element) -> dict[str, list[ET.Element]]:
    found: dict[str, list[ET.Element]] = {}
    for child in element:
        found.setdefault(_local_name(child.tag), []).append(child)
    return found


def _text(children: dict[str, list[ET.Element]], name: str) -> str:
    items = children.get(name)
    return (items[0].text or "").strip() if items else ""


def _int(value: str) -> int:
    return int(value) if value.strip().isdigit() else 0


def _date(value: str) -> datetime | None:
    """'2019-03-04 12:00:00' (WordPress writes zeros for 'no date')."""
    if not value or value.startswith("0000"):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _gmt(value: str) -> datetime | None:
    moment = _date(value)
    return moment.replace(tzinfo=UTC) if moment else None


def _comment(element: ET.Element) -> WxrComment:
    c = _children(element)
    return WxrComment(
        wp_id=_int(_text(c, "wp:comment_id")),
        parent_wp_id=_int(_text(c, "wp:comment_parent")),
        author=_text(c, "wp:comment_author"),
        email=_text(c, "wp:comment_author_email"),
        url=_text(c, "wp:comment_author_url"),
        ip=_text(c, "wp:comment_author_IP"),
        created_gmt=_gmt(_text(c, "wp:comment_date_gmt")),
        created_local=_date(_text(c, "wp:comment_date")),
        text=html_to_text(_text(c, "wp:comment_content")),
        approved=_text(c, "wp:comment_approved"),
        kind=_text(c, "wp:comment_type"),
    )


def _post(item: ET.Element, children: dict[str, list[ET.Element]]) -> WxrPost:
    tags: list[str] = []
    for category in children.get("category", []):
        name = (category.text or "").strip()
        if name and category.get("domain") in ("post_tag", "category") and name not in tags:
            tags.append(name)
    return WxrPost(
        wp_id=_int(_text(children, "wp:post_id")),
        title=_text(children, "title") or "(untitled)",
        slug=_text(children, "wp:post_name"),
        status=_STATUS.get(_text(children, "wp:status"), "draft"),
        published_gmt=_gmt(_text(children, "wp:post_date_gmt")),
        published_local=_date(_text(children, "wp:post_date")),
        author_login=_text(children, "dc:creator"),
        body=html_to_markdown(_text(children, "content:encoded")),
        excerpt=html_to_text(_text(children, "excerpt:encoded")),
        tags=tags,
        comments=[_comment(c) for c in children.get("wp:comment", [])],
    )


def parse_wxr(source: str | bytes | Path) -> WxrExport:
    """Parse a WXR export: published, scheduled and draft posts (not pages, not attachments)."""
    data = Path(source).read_bytes() if isinstance(source, Path) else source
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise ValueError(f"not a readable WordPress export: {error}") from error
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise ValueError("not a WordPress export: no <rss><channel>")
    top = _children(channel)
    authors = {}
    for author in top.get("wp:author", []):
        a = _children(author)
        login = _text(a, "wp:author_login")
        if login:
            authors[login] = _text(a, "wp:author_display_name") or login
    posts = []
    for item in top.get("item", []):
        children = _children(item)
        if _text(children, "wp:post_type") not in ("post", ""):
            continue
        if _text(children, "wp:status") in ("trash", "auto-draft", "inherit"):
            continue
        posts.append(_post(item, children))
    return WxrExport(site_title=_text(top, "title"), authors=authors, posts=posts)


_BLOCKS = {"p", "div", "ul", "ol", "li", "blockquote", "pre", "figure", "figcaption", "table"}
_BLOCKS |= {"tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "section", "article"}
_HEADINGS = {"h1": "## ", "h2": "## ", "h3": "### ", "h4": "#### ", "h5": "#### ", "h6": "#### "}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]])")


class _Converter(HTMLParser):
    """WordPress post HTML to Markdown (or to plain text, for comments)."""

    def __init__(self, markdown: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.markdown = markdown
        self.stack: list[list[str]] = [[]]  # one buffer per open blockquote
        self.lists: list[list] = []  # [kind, counter]
        self.links: list[str | None] = []
        self.skip = 0
        self.pre = 0

    @property
    def out(self) -> list[str]:
        return self.stack[-1]

    def _break(self, count: int = 2) -> None:
        self.out.append("\n" * count)

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == "blockquote":
            self._break()
            self.stack.append([])
        elif tag in ("ul", "ol"):
            self.lists.append([tag, 0])
            self._break(1)
        elif tag == "li":
            self._break(1)
            kind = self.lists[-1] if self.lists else ["ul", 0]
            kind[1] += 1
            indent = "  " * max(len(self.lists) - 1, 0)
            self.out.append(f"{indent}{kind[1]}. " if kind[0] == "ol" else f"{indent}- ")
        elif tag in _HEADINGS:
            self._break()
            if self.markdown:
                self.out.append(_HEADINGS[tag])
        elif tag == "pre":
            self._break()
            self.pre += 1
            if self.markdown:
                self.out.append("```\n")
        elif tag == "br":
            self.out.append("\n")
        elif tag == "hr":
            self._break()
            self.out.append("---" if self.markdown else "")
            self._break()
        elif tag in _BLOCKS:
            self._break()
        elif tag in ("em", "i") and self.markdown:
            self.out.append("*")
        elif tag in ("strong", "b") and self.markdown:
            self.out.append("**")
        elif tag == "code" and self.markdown and not self.pre:
            self.out.append("`")
        elif tag == "a":
            href = attributes.get("href") or ""
            usable = href.lower().startswith(("http://", "https://", "mailto:"))
            self.links.append(href if usable else None)
            if usable and self.markdown:
                self.out.append("[")
        elif tag == "img" and self.markdown:
            src = attributes.get("src") or ""
            if src.lower().startswith(("http://", "https://")):
                alt = _MD_SPECIAL.sub(r"\\\1", attributes.get("alt") or "")
                self.out.append(f"![{alt}]({src})")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(self.skip - 1, 0)
        elif tag == "blockquote" and len(self.stack) > 1:
            inner = _tidy("".join(self.stack.pop()))
            prefix = "> " if self.markdown else ""
            self.out.append("\n".join(f"{prefix}{line}".rstrip() for line in inner.split("\n")))
            self._break()
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._break()
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
            if self.markdown:
                self.out.append("\n```")
            self._break()
        elif tag in _BLOCKS and tag != "li":
            self._break()
        elif tag in ("em", "i") and self.markdown:
            self.out.append("*")
        elif tag in ("strong", "b") and self.markdown:
            self.out.append("**")
        elif tag == "code" and self.markdown and not self.pre:
            self.out.append("`")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and self.markdown:
                self.out.append(f"]({href.replace(')', '%29').replace(' ', '%20')})")
            elif href and not href.startswith("mailto:"):
                self.out.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            self.out.append(data)
            return
        text = _MD_SPECIAL.sub(r"\\\1", data) if self.markdown else data
        # WordPress's classic editor stores paragraphs as blank lines, line breaks as newlines.
        text = re.sub(r"[ \t\r\f\v]+", " ", text)
        self.out.append(text)

    def result(self) -> str:
        while len(self.stack) > 1:
            self.handle_endtag("blockquote")
        return _tidy("".join(self.out))


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(line.lstrip() if not line.startswith(("  ", "> ")) else line for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_markdown(html: str) -> str:
    """Post HTML as Markdown: paragraphs, headings, lists, quotes, links, emphasis."""
    converter = _Converter(markdown=True)
    converter.feed(html or "")
    converter.close()
    return converter.result()


def html_to_text(html: str) -> str:
    """Comment HTML as plain text with blank lines between paragraphs, link targets kept."""
    converter = _Converter(markdown=False)
    converter.feed(html or "")
    converter.close()
    return converter.result()
