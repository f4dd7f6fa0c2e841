"""Parsing plain-text wire articles: a title line, paragraphs, "Key points", "Contradictions".

Copies pasted from web pages lose paragraph breaks ("…in 1939.Putin's visit…") and carry page
chrome such as "Leave a Reply"; both are repaired here.
"""

import re
from dataclasses import dataclass, field

from .articles import ContradictionInput

# A sentence end glued to the next sentence: lowercase/digit/closing mark, then . ! or ?,
# then an uppercase letter starting a word. "U.S.Army" is left alone (uppercase before the dot).
_LOST_BREAK = re.compile(
    r"(?<=[a-z0-9\u00df-\u00ff’”)\]%])([.!?][’”\"]?)(?=[A-Z][a-z\u00e0-\u00ff’']|[AI]\s)"
)
_BULLET = re.compile(r"^\s*(?:[•·▪◦‣∙*\-–]|\d+[.)])\s+")
_CONTRADICTION_PREFIX = re.compile(r"^contradictions?\b[\W_]*", re.IGNORECASE)
# Page chrome that ends the article: nothing after it belongs to the story.
_PAGE_CHROME = re.compile(
    r"^(leave a reply|leave a comment|your email address will not be published|"
    r"share this( article)?:?$|related (posts|articles):?$)",
    re.IGNORECASE,
)
_SECTION = {"key points": "key_points", "contradictions": "contradictions", "sources": "sources"}


@dataclass
class WireArticle:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    key_points: list[str] = field(default_factory=list)
    contradictions: list[ContradictionInput] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)

    @property
    def body_markdown(self) -> str:
        return "\n\n".join(self.paragraphs)


def restore_breaks(text: str) -> list[str]:
    """Split a run-together block into paragraphs at sentence ends that lost their break."""
    return [p.strip() for p in _LOST_BREAK.sub(r"\1\n\n", text).split("\n\n") if p.strip()]


def _contradiction_text(item: str) -> str | None:
    """The statement of a bullet like 'Contradictions👾While some…', or None if it is not one."""
    match = _CONTRADICTION_PREFIX.match(item)
    if not match:
        return None
    return item[match.end() :].strip()


def _source(item: str) -> tuple[str, str]:
    for separator in ("|", " — ", " - ", ": http"):
        if separator in item:
            name, _, url = item.partition(separator)
            url = ("http" + url) if separator == ": http" else url
            return name.strip(), url.strip()
    if item.startswith(("http://", "https://")):
        return item, item
    return item.strip(), ""


def parse_wire_article(text: str) -> WireArticle:
    """Parse the wire format into title, body paragraphs and the structured parts."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise ValueError("the file is empty: the first line must be the headline")
    article = WireArticle(title=lines[0].strip())
    section = "body"
    block: list[str] = []

    def flush_body() -> None:
        if block:
            article.paragraphs.extend(restore_breaks(" ".join(block)))
            block.clear()

    for raw in lines[1:]:
        line = raw.strip()
        if not line:
            flush_body()
            continue
        if _PAGE_CHROME.match(line):
            break
        heading = _SECTION.get(line.rstrip(":").strip().lower())
        if heading:
            flush_body()
            section = heading
            continue
        is_bullet = bool(_BULLET.match(raw))
        item = _BULLET.sub("", raw).strip()
        statement = _contradiction_text(item) if section != "body" or is_bullet else None
        if statement:
            article.contradictions.append(ContradictionInput(statement))
        elif section == "key_points":
            article.key_points.append(item)
        elif section == "contradictions":
            article.contradictions.append(ContradictionInput(item))
        elif section == "sources":
            article.sources.append(_source(item))
        else:
            block.append(line)
    flush_body()
    if not article.paragraphs:
        raise ValueError("no body paragraphs found after the headline")
    return article
