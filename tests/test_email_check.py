"""The reply form's email check gives email-validator's own verdict, domain by domain."""

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from blog.replies import email_check


def _library_accepts(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@pytest.mark.parametrize(
    "address",
    [
        "reader@example.com",
        "Reader.Name+news@Example.COM",
        "o'brien@example.ie",
        "a@b.co",
        "x" * 64 + "@example.com",  # the longest part before the @
        "x" * 65 + "@example.com",
        "a@" + "b" * 63 + ".com",
        "a@" + "b" * 64 + ".com",  # a label over 63 characters
        "a@" + ".".join(["abcdefghij"] * 23) + ".com",  # over 254 in all
        ".reader@example.com",
        "reader.@example.com",
        "rea..der@example.com",
        "reader@example..com",
        "reader@-example.com",
        "reader@example-.com",
        "reader@example",
        "reader@localhost",
        "reader@example.local",  # special-use domains are refused
        "reader@example.invalid",
        "reader@example.123",
        "reader@ab--cd.com",
        "reader@xn--bcher-kva.example",
        "reader@@example.com",
        "reader@exa@mple.com",
        '"quoted"@example.com',
        '"a@b"@example.com',
        "Reader <reader@example.com>",
        "reader@[192.0.2.1]",
        "rèader@example.com",
        "reader@bücher.example",
        "reader @example.com",
        "reader@",
        "@example.com",
        "",
    ],
)
def test_known_addresses_get_the_library_verdict(address):
    assert email_check.is_valid(address) is _library_accepts(address)


_CHARACTERS = st.sampled_from(
    list("abcXYZ019.-_+'!#$%&*/=?^`{|}~@\"()<>[]\\,;: ") + ["é", "ü", "ß", "\u0301", "ｅ"]
)


@settings(max_examples=600, deadline=None)
@given(
    local=st.text(_CHARACTERS, min_size=0, max_size=70),
    domain=st.one_of(
        st.text(_CHARACTERS, min_size=0, max_size=30),
        st.sampled_from(["example.com", "a.co", "Example.ORG", "b--c.net", "x.local", "y.test"]),
    ),
)
def test_generated_addresses_get_the_library_verdict(local, domain):
    address = f"{local}@{domain}"
    assert email_check.is_valid(address) is _library_accepts(address)


def test_a_domain_is_asked_once(monkeypatch):
    email_check._domain_is_valid.clear()
    asked = []

    def counting(address, **options):
        asked.append(address)
        return validate_email(address, **options)

    monkeypatch.setattr(email_check, "_library", lambda: (counting, EmailNotValidError))
    for n in range(5):
        assert email_check.is_valid(f"reader.{n}@newsroom.example")
    assert email_check.is_valid("reader@nope") is False
    assert asked.count("x@newsroom.example") == 1
    assert [a for a in asked if a.endswith(email_check.STAND_IN_DOMAIN)] == [
        f"reader.{n}@{email_check.STAND_IN_DOMAIN}" for n in range(5)
    ]
