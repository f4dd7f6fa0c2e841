"""Kept signers and the cheaper CSRF tokens: the same tokens as the stock libraries, both ways.

A release must not sign anybody out or expire forms left open: cookies and tokens made by the
stock itsdangerous / Flask-WTF classes still read, and ours read with theirs.
"""

import re
from datetime import UTC, datetime

import pytest
from flask import g, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf as stock_generate_csrf
from flask_wtf.csrf import validate_csrf
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from markupsafe import Markup

from blog.csrf import generate_csrf, token_is_valid
from blog.replies.forms import EditReplyForm, ReplyForm
from blog.signing import KeptURLSafeSerializer, KeptURLSafeTimedSerializer

LONG = {"message": "A flash long enough to be worth compressing. " * 10}


def test_kept_serializers_read_and_are_read_by_the_stock_ones():
    for kept_class, stock_class in (
        (KeptURLSafeSerializer, URLSafeSerializer),
        (KeptURLSafeTimedSerializer, URLSafeTimedSerializer),
    ):
        kept, stock = kept_class("k" * 32, salt="s"), stock_class("k" * 32, salt="s")
        for value in ([1, 2, 3], "a3f0", LONG):
            assert stock.loads(kept.dumps(value)) == value
            assert kept.loads(stock.dumps(value)) == value
            assert kept.loads(kept.dumps(value)) == value  # again: the kept signer is reused
        assert kept.dumps(LONG).startswith(".")  # long payloads are still compressed
        assert not kept.dumps("a3f0").startswith(".")


def test_kept_serializer_refuses_other_keys_and_accepts_fallbacks():
    old = KeptURLSafeSerializer("old-key-" * 4, salt="s").dumps([7])
    rotated = KeptURLSafeSerializer(["old-key-" * 4, "new-key-" * 4], salt="s")
    assert rotated.loads(old) == [7]
    with pytest.raises(BadSignature):
        KeptURLSafeSerializer("other-key" * 4, salt="s").loads(old)


def test_session_cookies_read_both_ways_with_flask_s_own_interface(make_app):
    app = make_app()
    ours, stock = app.session_interface, SecureCookieSessionInterface()
    plain = {"csrf_token": "a3f0" * 10, "_fresh": True, "n": 3}
    tagged = {"when": datetime(2026, 11, 27, 3, 0, tzinfo=UTC), "pair": (1, 2), "m": Markup("<b>")}
    for value in (plain, tagged, {**plain, **tagged}):
        made_by_ours = ours.get_signing_serializer(app).dumps(value)
        made_by_stock = stock.get_signing_serializer(app).dumps(value)
        assert stock.get_signing_serializer(app).loads(made_by_ours) == value
        assert ours.get_signing_serializer(app).loads(made_by_stock) == value
    with app.app_context():  # where Flask writes session JSON with its app's settings
        # Plain values are written exactly as Flask writes them (same JSON, same signature).
        assert ours.serializer.dumps(plain) == stock.serializer.dumps(plain)


def test_csrf_tokens_match_flask_wtf_both_ways(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.test_request_context("/"):
        ours = generate_csrf()
        assert generate_csrf() == ours  # one token a request, as Flask-WTF does
        validate_csrf(ours)  # raises when it does not validate
        raw = session["csrf_token"]
    with app.test_request_context("/"):
        session["csrf_token"] = raw
        theirs = stock_generate_csrf()
        g.pop("csrf_token")
        again = generate_csrf()
        # The same signed payload; the timestamp part differs only if a second ticked over.
        assert again.split(".")[0] == theirs.split(".")[0]
        validate_csrf(theirs)
        validate_csrf(again)


def test_a_form_signs_its_token_only_when_rendered(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.test_request_context("/", method="POST", data={"body": "Hi"}):
        form = EditReplyForm()
        assert "csrf_token" not in g  # built and read: nothing signed
        html = str(form.csrf_token)
        assert g.csrf_token and f'value="{g.csrf_token}"' in html
        validate_csrf(g.csrf_token)


def test_reply_post_with_the_page_tokens_is_accepted_and_a_forged_one_refused(make_app):
    """The tokens the cached page carries pass CSRFProtect; the session cookie is not rewritten."""
    app = make_app(WTF_CSRF_ENABLED=True, REPLY_MIN_SECONDS=0)
    with app.app_context():
        from blog.articles import create_post
        from blog.extensions import db

        create_post(title="Bridge vote passes", body="Text.", slug="bridge")
        db.session.commit()
    client = app.test_client()
    page = client.get("/posts/bridge").get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|form_token)"[^>]*value="([^"]*)"', page))
    answer = client.post(
        "/posts/bridge/replies",
        data={**fields, "body": "When is the vote?", "name": "Ann", "email": "ann@example.com"},
    )
    assert answer.status_code == 303
    assert not any(c.startswith("session=") for c in answer.headers.getlist("Set-Cookie"))
    refused = client.post(
        "/posts/bridge/replies",
        data={**fields, "csrf_token": "forged", "body": "Again", "name": "Ann", "email": "a@b.co"},
    )
    assert refused.status_code == 400
    assert "Again" in refused.get_data(as_text=True)  # the text comes back with the message


def test_reply_form_writes_this_requests_token_and_carries_its_hidden_values(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.test_request_context("/", method="POST", data={"body": "Hi", "parent_id": "12"}):
        form = ReplyForm()
        assert "csrf_token" not in form  # CSRFProtect checks the POST: no field of its own
        assert form.parent_id == "12"  # kept for the form coming back
        token = form.csrf_token_value()
        assert token == g.csrf_token
        validate_csrf(token)
    with app.test_request_context("/", method="POST", data={"parent_id": "12"}):
        assert ReplyForm(formdata=None).parent_id == ""  # a blank form answers the article


def test_csrf_tokens_pass_the_fast_check_only_where_flask_wtf_would(make_app, monkeypatch):
    app = make_app(WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=60)
    with app.test_request_context("/"):
        stock = stock_generate_csrf()
        raw = session["csrf_token"]
        assert token_is_valid(stock)
        assert not token_is_valid(stock[:-2] + "xx")
        assert not token_is_valid("")
    with app.test_request_context("/"):
        session["csrf_token"] = "another-raw-token"
        assert not token_is_valid(stock)  # signed for another session

    with app.test_request_context("/"):
        session["csrf_token"] = raw
        later = datetime.now(UTC).timestamp() + 120
        monkeypatch.setattr("time.time", lambda: later)
        assert not token_is_valid(stock)  # past WTF_CSRF_TIME_LIMIT


def test_valid_post_passes_on_the_kept_serializer_and_flask_wtf_refuses_the_rest(
    make_app, monkeypatch
):
    import flask_wtf.csrf as stock_csrf

    app = make_app(WTF_CSRF_ENABLED=True)

    @app.post("/probe")
    def probe():
        return "passed"

    client = app.test_client()
    with client.session_transaction() as stored:
        stored["csrf_token"] = "raw-token-of-this-session"
    with app.test_request_context("/"):
        session["csrf_token"] = "raw-token-of-this-session"
        token = generate_csrf()
    checked = []
    stock_validate = stock_csrf.validate_csrf
    monkeypatch.setattr(
        stock_csrf, "validate_csrf", lambda *a, **k: checked.append(a) or stock_validate(*a, **k)
    )
    assert client.post("/probe", data={"csrf_token": token}).get_data(as_text=True) == "passed"
    assert client.post("/probe", headers={"X-CSRFToken": token}).status_code == 200
    assert checked == []  # both passed on the kept serializer
    refused = client.post("/probe", data={"csrf_token": token + "x"})
    assert refused.status_code == 400
    assert checked  # Flask-WTF's own check refused it
    missing = client.post("/probe", data={})
    assert missing.status_code == 400
    # Over HTTPS Flask-WTF also checks the referrer: that path stays wholly its own.
    no_referrer = client.post("/probe", data={"csrf_token": token}, base_url="https://localhost")
    assert no_referrer.status_code == 400
    assert (
        client.post(
            "/probe",
            data={"csrf_token": token},
            base_url="https://localhost",
            headers={"Referer": "https://localhost/posts"},
        ).get_data(as_text=True)
        == "passed"
    )


def test_saved_session_headers_match_flask_s_and_follow_config_changes(make_app, monkeypatch):
    from flask import Response

    app = make_app()
    ours, stock = app.session_interface, SecureCookieSessionInterface()
    monkeypatch.setattr("time.time", lambda: 1_790_000_000.0)  # both sign in the same second

    with app.test_request_context("/"):
        earlier = stock.get_signing_serializer(app).dumps({"csrf_token": "b4" * 20})

    def saved(interface, change, permanent=False, **config):
        app.config.update(config)
        with app.test_request_context("/", headers={"Cookie": f"session={earlier}"}):
            if change:
                session["csrf_token"] = "a3f0" * 10
            else:
                assert session.get("csrf_token") == "b4" * 20  # read, left unchanged
            if permanent:
                session.permanent = True
            response = Response("x")
            interface.save_session(app, session, response)
            cookies = []
            for header in response.headers.getlist("Set-Cookie"):
                value, _, attributes = header.partition(";")
                name, _, signed = value.partition("=")
                # The values may differ only in compression (zlib is skipped under 200 bytes).
                cookies.append((name, stock.get_signing_serializer(app).loads(signed), attributes))
            return cookies, response.headers.get("Vary")

    for change in (True, False):
        assert saved(ours, change) == saved(stock, change)
    assert saved(ours, False) == ([], "Cookie")  # unchanged: not written again
    assert saved(ours, True, permanent=True) == saved(stock, True, permanent=True)
    assert saved(ours, True, permanent=True)[0][0][2].count("Expires=") == 1
    secure = saved(ours, True, SESSION_COOKIE_SECURE=True, SESSION_COOKIE_SAMESITE="Strict")
    assert secure == saved(stock, True)
    assert "Secure" in secure[0][0][2] and "SameSite=Strict" in secure[0][0][2]  # at run time
