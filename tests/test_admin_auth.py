"""Staff sign-in: sessions, safe `next`, sign-out, roles, password changes, limits."""

import pytest
from desk_support import PASSWORD, csrf_from, make_user, sign_in

from blog.extensions import db
from blog.models import User

DESK_PAGES = ["/admin/", "/admin/posts/new", "/admin/replies?status=pending", "/admin/import"]


@pytest.mark.parametrize("url", DESK_PAGES)
def test_desk_pages_send_strangers_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")


def test_sign_in_form_has_the_contract_fields(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    html = app.test_client().get("/admin/login").get_data(as_text=True)
    for name in ("username", "password", "csrf_token"):
        assert f'name="{name}"' in html


def test_sign_in_goes_to_the_dashboard(app, client):
    make_user(app)
    response = sign_in(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Pending replies" in page.get_data(as_text=True)


def test_wrong_password_keeps_you_out(app, client):
    make_user(app)
    response = sign_in(client, password="not the password")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "do not match an account" in html
    assert 'value="mara"' in html  # the username typed is kept
    assert client.get("/admin/").status_code == 302


def test_missing_fields_are_marked(app, client):
    response = client.post("/admin/login", data={"username": "", "password": ""})
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/admin/replies?status=pending", "/admin/replies?status=pending"),
        ("https://evil.example/steal", "/admin/"),
        ("//evil.example/steal", "/admin/"),
        ("/\\evil.example", "/admin/"),
        ("javascript:alert(1)", "/admin/"),
        ("admin/", "/admin/"),
    ],
)
def test_next_is_followed_only_within_the_site(app, client, next_url, expected):
    make_user(app)
    response = sign_in(client, next_url=next_url)
    assert response.status_code == 303
    assert response.headers["Location"] == expected


def test_sign_out_is_a_post(app, client):
    make_user(app)
    sign_in(client)
    assert client.get("/admin/logout").status_code == 405
    assert client.get("/admin/").status_code == 200
    response = client.post("/admin/logout")
    assert response.status_code == 303
    assert client.get("/admin/").status_code == 302


def test_changing_password_ends_other_sessions(app, make_app):
    make_user(app)
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop)
    sign_in(phone)
    response = laptop.post(
        "/admin/account",
        data={
            "current_password": PASSWORD,
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
        },
    )
    assert response.status_code == 303
    assert laptop.get("/admin/").status_code == 200  # the browser that changed it stays in
    assert phone.get("/admin/").status_code == 302  # every other session ends
    assert sign_in(phone, password=PASSWORD).status_code == 200
    assert sign_in(phone, password="a brand new secret").status_code == 303


def test_password_change_needs_the_current_password(app, client):
    make_user(app)
    sign_in(client)
    response = client.post(
        "/admin/account",
        data={"current_password": "wrong", "new_password": "x" * 10, "confirm": "x" * 10},
    )
    assert response.status_code == 422
    assert "not your current password" in response.get_data(as_text=True)


def test_set_password_command_ends_sessions(app, client):
    make_user(app)
    sign_in(client)
    result = app.test_cli_runner().invoke(
        args=["set-password", "mara"], input="another good one\nanother good one\n"
    )
    assert result.exit_code == 0, result.output
    assert "Password changed for mara" in result.output
    assert client.get("/admin/").status_code == 302
    assert sign_in(client, password="another good one").status_code == 303


def test_set_password_refuses_unknown_users_and_short_passwords(app):
    make_user(app)
    runner = app.test_cli_runner()
    assert "no user named" in runner.invoke(args=["set-password", "nobody"], input="x\n").output
    short = runner.invoke(args=["set-password", "mara"], input="short\nshort\n")
    assert short.exit_code != 0
    assert "at least 8" in short.output


def test_editor_cannot_manage_users(app, client):
    make_user(app, "ed")
    sign_in(client, "ed")
    assert client.get("/admin/users").status_code == 403
    response = client.post(
        "/admin/users",
        data={"username": "intruder", "password": "long enough pw", "role": "admin"},
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "intruder")) is None
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/settings/words").status_code == 403
    assert "Staff</a>" not in client.get("/admin/").get_data(as_text=True)


def test_admin_adds_an_editor_who_can_sign_in(app, make_app):
    make_user(app, "boss", admin=True)
    admin = app.test_client()
    sign_in(admin, "boss")
    response = admin.post(
        "/admin/users",
        data={
            "username": "newbie",
            "display_name": "New Bie",
            "password": "twelve chars",
            "role": "editor",
        },
    )
    assert response.status_code == 303
    assert "newbie" in admin.get("/admin/users").get_data(as_text=True)
    duplicate = admin.post(
        "/admin/users", data={"username": "newbie", "password": "twelve chars", "role": "editor"}
    )
    assert duplicate.status_code == 422
    assert "exists already" in duplicate.get_data(as_text=True)
    other = app.test_client()
    assert sign_in(other, "newbie", "twelve chars").status_code == 303
    assert other.get("/admin/users").status_code == 403


def test_failed_attempts_are_slowed_per_account(make_app):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    make_user(app)
    client = app.test_client()
    for _ in range(3):
        assert sign_in(client, password="guess").status_code == 200
    blocked = sign_in(client)  # even the right password waits now
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many failed sign-in attempts" in blocked.get_data(as_text=True)
    # Another account from the same address is not blocked by this account's failures.
    make_user(app, "lee")
    assert sign_in(client, "lee").status_code == 303


def test_failed_attempts_are_slowed_per_address(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS="4 per 15 minutes")
    make_user(app)
    client = app.test_client()
    for number in range(4):
        assert sign_in(client, f"guess{number}", "guess").status_code == 200
    assert sign_in(client).status_code == 429
    elsewhere = app.test_client()
    response = elsewhere.post(
        "/admin/login",
        data={"username": "mara", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.77"},
    )
    assert response.status_code == 303


def test_successful_sign_ins_do_not_count(make_app):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="2 per 15 minutes")
    make_user(app)
    for _ in range(5):
        assert sign_in(app.test_client()).status_code == 303


def test_sign_in_with_csrf_on(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(app)
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    without = client.post("/admin/login", data={"username": "mara", "password": PASSWORD})
    assert without.status_code == 400
    response = client.post(
        "/admin/login",
        data={"username": "mara", "password": PASSWORD, "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 303


def test_admin_changes_roles_and_locks_accounts(app):
    make_user(app, "boss", admin=True)
    ed_id = make_user(app, "ed")
    boss, ed = app.test_client(), app.test_client()
    sign_in(boss, "boss")
    sign_in(ed, "ed")
    assert ed.post(f"/admin/users/{ed_id}/role", data={"role": "admin"}).status_code == 403

    assert boss.post(f"/admin/users/{ed_id}/role", data={"role": "admin"}).status_code == 303
    assert ed.get("/admin/users").status_code == 200  # the new role applies at once
    assert boss.post(f"/admin/users/{ed_id}/role", data={"role": "editor"}).status_code == 303
    assert ed.get("/admin/users").status_code == 403

    assert boss.post(f"/admin/users/{ed_id}/lock").status_code == 303
    assert ed.get("/admin/").status_code == 302  # signed out everywhere
    assert sign_in(ed, "ed").status_code == 200  # and the old password no longer works
    log = boss.get("/admin/audit").get_data(as_text=True)
    assert "user-role" in log and "user-lock" in log


def test_admin_cannot_lock_or_demote_themselves(app, client):
    boss_id = make_user(app, "boss", admin=True)
    sign_in(client, "boss")
    assert client.post(f"/admin/users/{boss_id}/lock").status_code == 403
    assert client.post(f"/admin/users/{boss_id}/role", data={"role": "editor"}).status_code == 403
    assert client.get("/admin/users").status_code == 200
