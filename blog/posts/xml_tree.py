"""A write-only XML element tree for the Atom feeds, so serving never loads ElementTree.

ElementTree brings the expat parser with it: about 0.5 MB in every gunicorn worker, for feeds
that only ever write XML. Elements here keep their attributes in order and are written the
way ElementTree writes them (same escaping, `<tag />` when empty), so the bytes are the same
(tests/test_xml_tree.py compares the two).
"""

from __future__ import annotations

from collections.abc import Callable


class Element:
    """A tag, its attributes in order, its text and its child elements."""

    __slots__ = ("tag", "attrib", "text", "children")

    def __init__(self, tag: str, attrib: dict[str, str] | None = None, text: str = "") -> None:
        self.tag = tag
        self.attrib = attrib or {}
        self.text = text
        self.children: list[Element] = []

    def add(self, tag: str, attrib: dict[str, str] | None = None, text: str = "") -> Element:
        """Append a child element and return it."""
        child = Element(tag, attrib, text)
        self.children.append(child)
        return child


def escape_text(text: str) -> str:
    """Escape character data as ElementTree does: `&`, `<` and `>`."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def escape_attribute(value: str) -> str:
    """Escape an attribute value as ElementTree does: also quotes, and CR, LF and tab as
    character references (a parser would otherwise turn them into spaces)."""
    value = escape_text(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    if "\n" in value:
        value = value.replace("\n", "&#10;")
    if "\t" in value:
        value = value.replace("\t", "&#09;")
    return value


def to_string(element: Element) -> str:
    """The element and everything under it as XML text (no declaration)."""
    parts: list[str] = []
    _write(element, parts.append)
    return "".join(parts)


def _write(element: Element, write: Callable[[str], object]) -> None:
    write("<" + element.tag)
    for name, value in element.attrib.items():
        write(f' {name}="{escape_attribute(value)}"')
    if not element.text and not element.children:
        write(" />")
        return
    write(">")
    if element.text:
        write(escape_text(element.text))
    for child in element.children:
        _write(child, write)
    write(f"</{element.tag}>")
