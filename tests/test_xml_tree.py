"""The feeds' element tree writes the same bytes ElementTree writes."""

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from blog.posts.xml_tree import Element, to_string

# Any text XML 1.0 allows (the feeds strip the rest before it gets here).
xml_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff").filter(
        lambda c: c in "\t\n\r" or c >= " "
    ),
    max_size=40,
)
names = st.sampled_from(["feed", "entry", "link", "thr:in-reply-to", "xmlns:thr", "href"])
attributes = st.dictionaries(names, xml_text, max_size=3)


def _both(tag, attrib, text, children):
    ours, theirs = Element(tag, attrib, text), ET.Element(tag, attrib)
    theirs.text = text
    for child_tag, child_attrib, child_text in children:
        ours.add(child_tag, child_attrib, child_text)
        ET.SubElement(theirs, child_tag, child_attrib).text = child_text
    return ours, theirs


@given(names, attributes, xml_text, st.lists(st.tuples(names, attributes, xml_text), max_size=3))
def test_same_bytes_as_elementtree(tag, attrib, text, children):
    ours, theirs = _both(tag, attrib, text, children)
    assert to_string(ours) == ET.tostring(theirs, encoding="unicode")


def test_escapes_markup_quotes_and_line_breaks_like_elementtree():
    ours, theirs = _both(
        "entry",
        {"label": 'Tag & "Co" <x>\tT\r\n'},
        "a < b & c > d \"'",
        [("summary", {}, ""), ("content", {"type": "html"}, "<p>x</p>")],
    )
    written = to_string(ours)
    assert written == ET.tostring(theirs, encoding="unicode")
    assert 'label="Tag &amp; &quot;Co&quot; &lt;x&gt;&#09;T&#13;&#10;"' in written
    assert "<summary />" in written
