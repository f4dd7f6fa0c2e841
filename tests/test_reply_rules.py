"""The reply rules as plain functions, each readable and testable without a request."""

from datetime import timedelta

import pytest

from blog import clock
from blog.models import Post
from blog.rendering import count_links, render_reply_text
from blog.replies import rules


def test_fold_text_ignores_case_and_whitespace():
    assert rules.fold_text("  Same\n\tWORDS  here ") == rules.fold_text("same words here")
    assert rules.fold_text("same words") != rules.fold_text("same word")


def test_hash_address_is_keyed_and_stable():
    one = rules.hash_address("key-one", "192.0.2.1")
    assert one == rules.hash_address("key-one", "192.0.2.1")
    assert one != rules.hash_address("key-two", "192.0.2.1")
    assert "192.0.2.1" not in one


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"honeypot": "x", "form_age_seconds": 60}, "hidden field"),
        ({"honeypot": "", "form_age_seconds": None}, "signed render time"),
        ({"honeypot": "", "form_age_seconds": 0.5}, "0.5 s after the form was shown"),
        ({"honeypot": "", "form_age_seconds": 60, "texts": ["win at CASINO"]}, "blocked word"),
        ({"honeypot": "", "form_age_seconds": 60}, ""),
    ],
)
def test_trap_reason(kwargs, expected):
    args = {"min_seconds": 2, "block_words": ["casino"], "texts": ["hello"], **kwargs}
    reason = rules.trap_reason(**args)
    assert (expected in reason) if expected else reason == ""


def test_hold_reason_counts_links_and_words():
    assert (
        rules.hold_reason(
            body="http://a.example http://b.example", max_links=2, moderation_words=[], texts=[]
        )
        == ""
    )
    assert rules.hold_reason(
        body="http://a.example http://b.example https://c.example",
        max_links=2,
        moderation_words=[],
        texts=[],
    ).startswith("3 links")
    assert "refund" in rules.hold_reason(
        body="x", max_links=2, moderation_words=["refund"], texts=["I want a REFUND"]
    )


def test_decide_puts_traps_before_holds_before_moderation():
    assert (
        rules.decide(trap="t", hold="h", mode="none", is_staff=False, email_approved=False).status
        == "spam"
    )
    assert rules.decide(
        trap="", hold="h", mode="none", is_staff=False, email_approved=False
    ) == rules.Verdict("pending", "h")


def test_replies_closed_by_flag_or_age():
    now = clock.now()
    open_post = Post(replies_open=True, published_at=now - timedelta(days=2))
    assert not rules.replies_closed(open_post, now, None)
    assert not rules.replies_closed(open_post, now, 3)
    assert rules.replies_closed(open_post, now, 1)
    assert rules.replies_closed(Post(replies_open=False, published_at=now), now, None)


def test_reply_text_rendering_is_escaped_plain_text():
    html = render_reply_text("<b>hi</b> there\nnext line\n\nnew para https://x.example/a).")
    assert html == (
        "<p>&lt;b&gt;hi&lt;/b&gt; there<br>\nnext line</p>\n"
        '<p>new para <a href="https://x.example/a" rel="nofollow ugc noopener">'
        "https://x.example/a</a>).</p>"
    )
    assert count_links("http://a.example and https://b.example") == 2
