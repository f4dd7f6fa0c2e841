"""Reply defences: flood, duplicates, spam traps, moderation reasons, own-reply editing,
remember me, privacy, closing and the desk's email, all through HTTP."""

import json
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from blog import clock
from blog.articles import create_post
from blog.extensions import db
from blog.models import Reply, User
from blog.replies import form_token
from tests.conftest import REPLY_DEFAULTS, reply_form_fields


def rows(app) -> list[Reply]:
    with app.app_context():
        return list(db.session.scalars(select(Reply).order_by(Reply.id)))


@pytest.fixture
def site(make_app):
    """An app (with the given config) and a published post's slug."""

    def build(**config):
        app = make_app(**config)
        with app.app_context():
            slug = create_post(title="Defended story", body="Body.").slug
            db.session.commit()
        return app, slug

    return build


def form_data(client, slug: str, **fields) -> dict:
    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    return {**reply_form_fields(page), **REPLY_DEFAULTS, **fields}


def post(client, slug, **fields):
    return client.post(f"/posts/{slug}/replies", data=form_data(client, slug, **fields))


# Flood ---------------------------------------------------------------------------------------


def test_second_reply_within_flood_window_is_429_with_retry_after(site):
    app, slug = site(REPLY_FLOOD_SECONDS=15)
    client = app.test_client()
    assert post(client, slug, body="first").status_code == 303
    response = post(client, slug, body="second thought, typed with care")
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 15
    html = response.get_data(as_text=True)
    assert f"Please wait {wait} seconds" in html
    assert "second thought, typed with care" in html
    assert len(rows(app)) == 1
    clock.advance(16)
    assert post(client, slug, body="second thought, typed with care").status_code == 303


def test_flood_counts_the_address_and_the_email_separately(site):
    app, slug = site(REPLY_FLOOD_SECONDS=15)
    one = app.test_client()
    assert post(one, slug, body="first").status_code == 303
    # Same network address, different email:
    assert post(one, slug, body="other", email="other@example.com").status_code == 429
    # Same email, different network address:
    two = app.test_client()
    two.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert post(two, slug, body="from elsewhere").status_code == 429
    # Different address and email: fine.
    assert post(two, slug, body="fresh", email="fresh@example.com").status_code == 303


def test_flood_rule_off_with_zero(site):
    app, slug = site(REPLY_FLOOD_SECONDS=0)
    client = app.test_client()
    assert [post(client, slug, body=f"n{i}").status_code for i in range(3)] == [303] * 3


def test_signed_in_staff_are_exempt_from_flood(site):
    app, slug = site(REPLY_FLOOD_SECONDS=15, REPLY_MODERATION="all")
    with app.app_context():
        user = User(username="desk", session_version=0)
        user.set_password("correct horse battery")
        db.session.add(user)
        db.session.commit()
        session_id = user.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    assert post(client, slug, body="staff one").status_code == 303
    assert post(client, slug, body="staff two").status_code == 303
    assert [(r.status, r.moderation_reason) for r in rows(app)] == [
        ("approved", "written by newsroom staff")
    ] * 2


# Duplicates and double-clicks ----------------------------------------------------------------


def test_same_text_again_is_409_with_a_link_to_the_earlier_reply(site):
    app, slug = site()
    client = app.test_client()
    assert post(client, slug, body="Same   words here").status_code == 303
    [first] = rows(app)
    again = post(client, slug, body="  same words\nHERE ")
    assert again.status_code == 409
    html = again.get_data(as_text=True)
    assert f'href="/posts/{slug}#reply-{first.id}"' in html
    assert "You already sent this reply" in html
    # Same name but a different email is still the same person repeating themselves.
    other = post(client, slug, body="same words here", email="alias@example.com")
    assert other.status_code == 409
    assert len(rows(app)) == 1


def test_same_name_in_other_case_with_another_email_is_still_a_duplicate(site):
    app, slug = site()
    client = app.test_client()
    assert post(client, slug, body="Fix the crossing first").status_code == 303
    again = post(client, slug, body="fix the crossing FIRST", name="READER one", email="b@ex.org")
    assert again.status_code == 409
    # Another person (other name, other email) may say the same thing.
    other = post(client, slug, body="Fix the crossing first", name="Sam Lee", email="sam@ex.org")
    assert other.status_code == 303
    assert len(rows(app)) == 2


@pytest.mark.sqlite_only(reason="reads SQLite's query plan")
def test_the_post_and_earlier_replies_are_looked_up_by_index_not_by_reading_the_thread(site):
    from blog.replies.rules import reads_statement

    app, slug = site()
    with app.app_context():
        connection = db.session.connection()
        compiled = reads_statement("sqlite").statement.compile(connection)
        values = compiled.construct_params(
            {"slug": slug, "now": clock.now(), "nonce": "n", "name": "x", "email": "y"}
        )
        params = tuple(values[name] for name in compiled.positiontup)
        found = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
        plan = " ".join(row[-1] for row in found)
    assert "USING INDEX ix_reply_post_name (post_id=? AND name=?)" in plan
    # The email half seeks address, status and post in one index (not the thread by post_id).
    assert "USING INDEX ix_reply_email_status_post (email=? AND status=? AND post_id=?)" in plan
    assert "USING COVERING INDEX ix_reply_email_status_post (email=? AND status=?)" in plan
    assert "USING INDEX sqlite_autoindex_reply_1 (form_nonce=?)" in plan
    assert "SCAN reply" not in plan
    assert "SCAN post" not in plan  # the post by its slug, for its row and for its replies


def test_double_click_gets_the_first_303_again_and_no_second_row(site):
    app, slug = site()
    client = app.test_client()
    data = form_data(client, slug, body="Clicked twice")
    first = client.post(f"/posts/{slug}/replies", data=data)
    second = client.post(f"/posts/{slug}/replies", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(rows(app)) == 1


def test_duplicate_wins_over_flood_in_the_contract_order(site):
    app, slug = site(REPLY_FLOOD_SECONDS=15)
    client = app.test_client()
    assert post(client, slug, body="only once").status_code == 303
    assert post(client, slug, body="only once").status_code == 409


# Spam traps ----------------------------------------------------------------------------------


def test_honeypot_marks_spam_and_answers_like_pending(site):
    app, slug = site(REPLY_MODERATION="none")
    client = app.test_client()
    response = post(client, slug, body="Buy now", homepage="http://spam.example")
    assert response.status_code == 303
    [reply] = rows(app)
    assert reply.status == "spam"
    assert "hidden field" in reply.moderation_reason
    html = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "Buy now" in html and "awaiting moderation" in html  # its sender sees it as pending
    assert "Buy now" not in app.test_client().get(f"/posts/{slug}").get_data(as_text=True)


def test_honeypot_is_hidden_from_people_and_assistive_technology(site):
    app, slug = site()
    html = app.test_client().get(f"/posts/{slug}").get_data(as_text=True)
    wrapper = re.search(r'<div class="hp" aria-hidden="true">.*?</div>', html, re.S)
    assert wrapper and 'name="homepage"' in wrapper.group(0)
    assert 'tabindex="-1"' in wrapper.group(0)
    with app.test_client().get("/static/site.css") as response:
        css = response.get_data(as_text=True)
    assert re.search(r"\.hp\b[^{]*\{[^}]*position:\s*absolute", css)


def test_form_sent_back_too_fast_is_spam(site):
    app, slug = site(REPLY_MIN_SECONDS=2, REPLY_MODERATION="none")
    client = app.test_client()
    assert post(client, slug, body="instant").status_code == 303
    [reply] = rows(app)
    assert reply.status == "spam"
    assert "after the form was shown" in reply.moderation_reason


def test_form_without_its_signed_stamp_is_spam(site):
    app, slug = site(REPLY_MODERATION="none")
    client = app.test_client()
    data = form_data(client, slug, body="no stamp")
    data.pop("form_token")
    assert client.post(f"/posts/{slug}/replies", data=data).status_code == 303
    assert rows(app)[0].status == "spam"


def test_form_older_than_two_hours_is_400_expired_with_text_kept(site):
    app, slug = site()
    client = app.test_client()
    data = form_data(client, slug, body="Written over a long lunch")
    with app.test_request_context():
        data["form_token"] = form_token.issue(now=time.time() - 2 * 3600 - 60)
    response = client.post(f"/posts/{slug}/replies", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "expired" in html and "Written over a long lunch" in html
    assert rows(app) == []


def test_too_many_links_hold_the_reply_with_a_reason(site):
    app, slug = site(REPLY_MODERATION="none", REPLY_MAX_LINKS=2)
    client = app.test_client()
    body = "See https://a.example/1 https://b.example/2 https://c.example/3"
    assert post(client, slug, body=body).status_code == 303
    [reply] = rows(app)
    assert (reply.status, reply.moderation_reason) == ("pending", "3 links (more than 2)")


def test_moderation_words_hold_and_block_words_mark_spam(site):
    app, slug = site(
        REPLY_MODERATION="none",
        REPLY_MODERATION_WORDS=["lawsuit"],
        REPLY_BLOCK_WORDS=["casino"],
    )
    client = app.test_client()
    post(client, slug, body="There will be a LAWSUIT")
    post(client, slug, body="fine text", name="Casino Royale", email="c@example.com")
    held, spam = rows(app)
    assert (held.status, held.moderation_reason) == (
        "pending",
        "contains a word on the moderation list: lawsuit",
    )
    assert (spam.status, spam.moderation_reason) == ("spam", "contains a blocked word: casino")


# Own-reply editing ---------------------------------------------------------------------------


def test_author_can_edit_within_the_window_and_it_shows_edited(site):
    app, slug = site(REPLY_EDIT_MINUTES=15)
    client = app.test_client()
    post(client, slug, body="Original wording")
    [reply] = rows(app)
    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert f'href="/replies/{reply.id}/edit"' in page
    form = client.get(f"/replies/{reply.id}/edit")
    assert form.status_code == 200 and "Original wording" in form.get_data(as_text=True)
    clock.advance(5 * 60)
    saved = client.post(f"/replies/{reply.id}/edit", data={"body": "Better wording"})
    assert saved.status_code == 303
    assert saved.headers["Location"] == f"/posts/{slug}#reply-{reply.id}"
    html = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "Better wording" in html and "Original wording" not in html
    assert re.search(r'class="edited">edited <time datetime="', html)
    # Nobody else sees an edit link or may edit.
    stranger = app.test_client()
    assert f"/replies/{reply.id}/edit" not in stranger.get(f"/posts/{slug}").get_data(as_text=True)
    assert stranger.post(f"/replies/{reply.id}/edit", data={"body": "hijack"}).status_code == 403


def test_edit_with_empty_text_keeps_the_form_with_an_error(site):
    app, slug = site()
    client = app.test_client()
    post(client, slug, body="Original")
    reply_id = rows(app)[0].id
    response = client.post(f"/replies/{reply_id}/edit", data={"body": " "})
    assert response.status_code == 422
    assert "Please write a comment" in response.get_data(as_text=True)


def test_after_the_window_editing_is_403_with_a_clear_sentence(site):
    app, slug = site(REPLY_EDIT_MINUTES=15)
    client = app.test_client()
    post(client, slug, body="Too late to change")
    reply_id = rows(app)[0].id
    clock.advance(16 * 60)
    assert f"/replies/{reply_id}/edit" not in client.get(f"/posts/{slug}").get_data(as_text=True)
    response = client.post(f"/replies/{reply_id}/edit", data={"body": "changed"})
    assert response.status_code == 403
    assert "can be edited or withdrawn for 15 minutes" in response.get_data(as_text=True)
    assert client.post(f"/replies/{reply_id}/withdraw").status_code == 403


def test_withdrawn_reply_without_answers_disappears(site):
    app, slug = site()
    client = app.test_client()
    post(client, slug, body="Never mind this")
    reply_id = rows(app)[0].id
    response = client.post(f"/replies/{reply_id}/withdraw")
    assert response.status_code == 303
    html = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "Never mind this" not in html and f'id="reply-{reply_id}"' not in html
    assert rows(app)[0].status == "trash"


def question_and_answer(app, slug: str, question: str, answer: str):
    """One reader's reply and another reader's answer to it: (author, other, question's id)."""
    author, other = app.test_client(), app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    post(author, slug, body=question)
    parent_id = rows(app)[0].id
    answered = post(
        other, slug, body=answer, name="Other", email="other@example.com", parent_id=str(parent_id)
    )
    assert answered.status_code == 303
    return author, other, parent_id


def test_withdrawn_reply_with_answers_leaves_a_placeholder(site):
    app, slug = site()
    author, other, parent_id = question_and_answer(app, slug, "A claim I regret", "An answer to it")
    assert author.post(f"/replies/{parent_id}/withdraw").status_code == 303
    html = other.get(f"/posts/{slug}").get_data(as_text=True)
    assert "A claim I regret" not in html
    assert "withdrawn by its author" in html
    assert "An answer to it" in html


def test_only_answers_are_in_the_parent_index_and_deleting_a_parent_removes_them(site):
    app, slug = site()
    _, _, parent_id = question_and_answer(
        app, slug, "A question for the council", "The council answered"
    )
    with app.app_context():
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            found = connection.exec_driver_sql("PRAGMA index_list(reply)")
            partial = {row[1]: row[4] for row in found}
            plan = " ".join(
                row[-1]
                for row in connection.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT id FROM reply WHERE parent_id = ?", (parent_id,)
                )
            )
            assert "INDEX ix_reply_parent_id (parent_id=?)" in plan
        else:
            found = connection.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'reply'"
            )
            partial = {row[0]: "WHERE (parent_id IS NOT NULL)" in row[1] for row in found}
        # A top-level reply writes no entry in it: the index holds answers only.
        assert partial["ix_reply_parent_id"]
        # The foreign key still finds a reply's answers (through that index) and removes them.
        db.session.execute(db.delete(Reply).where(Reply.id == parent_id))
        db.session.commit()
    assert rows(app) == []


# Remember me ---------------------------------------------------------------------------------


def _cookie(response, name: str) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header
    return None


def test_remember_me_stores_details_for_a_year_and_fills_the_form(site):
    app, slug = site()
    client = app.test_client()
    response = post(client, slug, body="remember me", remember="y", website="https://me.example")
    cookie = _cookie(response, "reply_author")
    assert cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
    assert max_age >= 365 * 24 * 3600
    assert REPLY_DEFAULTS["email"] not in cookie  # not readable as plain text either
    html = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert 'value="Reader One"' in html
    assert f'value="{REPLY_DEFAULTS["email"]}"' in html
    assert 'value="https://me.example"' in html
    assert re.search(r'<input checked id="remember"|id="remember"[^>]*checked', html)
    # Unticking clears it.
    clock.advance(60)
    cleared = post(client, slug, body="forget me now")
    assert "Expires=Thu, 01 Jan 1970" in (_cookie(cleared, "reply_author") or "")
    assert 'value="Reader One"' not in client.get(f"/posts/{slug}").get_data(as_text=True)


def test_nothing_is_remembered_without_the_box(site):
    app, slug = site()
    client = app.test_client()
    response = post(client, slug, body="no remembering")
    assert _cookie(response, "reply_author") is None or "Expires=Thu, 01 Jan 1970" in _cookie(
        response, "reply_author"
    )
    assert 'value="Reader One"' not in client.get(f"/posts/{slug}").get_data(as_text=True)


def test_own_reply_cookie_is_httponly_and_lax_for_thirty_days_site_wide(site):
    app, slug = site()
    response = post(app.test_client(), slug)
    cookie = _cookie(response, "my_replies")
    assert cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=2592000" in cookie.split("; ") and "Path=/" in cookie.split("; ")


# Privacy -------------------------------------------------------------------------------------


def test_network_address_is_kept_only_as_a_keyed_hash(site):
    app, slug = site()
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    post(client, slug)
    [reply] = rows(app)
    stored = " ".join(str(v) for v in vars(reply).values())
    assert "192.0.2.44" not in stored
    assert re.fullmatch(r"[0-9a-f]{64}", reply.ip_hash)
    assert "gravatar" not in client.get(f"/posts/{slug}").get_data(as_text=True).lower()


def test_privacy_export_and_erase(site):
    app, slug = site()
    client = app.test_client()
    post(
        client,
        slug,
        body="first words",
        email="Private.Person@example.com",
        website="https://pp.example",
    )
    clock.advance(20)
    post(client, slug, body="second words", email="private.person@example.com")
    post(client, slug, body="someone else", name="Else", email="else@example.com")
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["privacy", "export", "private.person@example.com"])
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert [r["body"] for r in data["replies"]] == ["first words", "second words"]
    assert data["replies"][0]["post"] == f"/posts/{slug}"
    erased = runner.invoke(args=["privacy", "erase", "PRIVATE.person@example.com"])
    assert erased.exit_code == 0
    assert "Anonymised 2 replies." in erased.output
    first, second, other = rows(app)
    assert (first.name, first.email, first.website) == ("Anonymous", "", "")
    assert (second.name, second.email) == ("Anonymous", "")
    assert other.name == "Else"
    again = runner.invoke(args=["privacy", "export", "private.person@example.com"])
    assert json.loads(again.output)["replies"] == []


# Closing -------------------------------------------------------------------------------------


def test_replies_close_after_the_configured_days(make_app):
    app = make_app(REPLY_CLOSE_AFTER_DAYS=3)
    with app.app_context():
        old = create_post(title="Old", body="b", published_at=clock.now() - timedelta(days=4))
        new = create_post(title="New", body="b", published_at=clock.now() - timedelta(days=1))
        db.session.commit()
        old_slug, new_slug = old.slug, new.slug
    client = app.test_client()
    html = client.get(f"/posts/{old_slug}").get_data(as_text=True)
    assert "Replies are closed" in html and 'id="reply-form"' not in html
    refused = client.post(f"/posts/{old_slug}/replies", data=REPLY_DEFAULTS)
    assert refused.status_code == 403
    assert post(client, new_slug).status_code == 303
