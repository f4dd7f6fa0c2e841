"""Text to HTML, done once when something is saved, never per page view.

The Markdown parser and the sanitiser load on first use: readers' pages never need them (their
HTML was made at save time), so a server process that only serves pages never carries them.
"""

import re
from functools import cache

from markupsafe import Markup, escape

_ALLOWED_TAGS = {
    "p", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "hr", "br", "img",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}


@cache
def _markdown():
    from markdown_it import MarkdownIt

    # Raw HTML is off: staff Markdown cannot smuggle in script or style. nh3 is a second fence.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(text: str) -> str:
    """Render staff Markdown to sanitised HTML (no raw HTML, no javascript: links)."""
    import nh3

    html = _markdown().render(text or "")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    )


_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""


def count_links(text: str) -> int:
    """Count the web addresses in a reader's text."""
    return len(_URL.findall(text or ""))


def _linkify(line: str) -> Markup:
    """Escape a line of reader text, turning bare web addresses into nofollow links."""
    out: list[str] = []
    cursor = 0
    for match in _URL.finditer(line):
        url = match.group(0)
        while url and url[-1] in _TRAILING_PUNCTUATION:
            url = url[:-1]
        if len(url) <= len("https://"):
            continue
        start = match.start()
        out.append(str(escape(line[cursor:start])))
        out.append(f'<a href="{escape(url)}" rel="nofollow ugc noopener">{escape(url)}</a>')
        cursor = start + len(url)
    out.append(str(escape(line[cursor:])))
    return Markup("".join(out))


# Anything shaped like an email address in reader text is hidden when shown: the site never
# publishes an address, even one typed into a comment. The lookbehind keeps the scan linear.
EMAIL_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
EMAIL_HIDDEN = "[email address hidden]"


def render_reply_text(text: str) -> str:
    """Render a reader's plain text: escaped, paragraphs at blank lines, links made clickable."""
    normalised = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p for p in re.split(r"\n\s*\n", normalised) if p.strip()]
    rendered = []
    for paragraph in paragraphs:
        lines = paragraph.strip().split("\n")
        lines = [_linkify(EMAIL_IN_TEXT.sub(EMAIL_HIDDEN, line)) for line in lines]
        rendered.append("<p>" + "<br>\n".join(lines) + "</p>")
    return "\n".join(rendered)
