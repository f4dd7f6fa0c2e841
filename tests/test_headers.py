"""Security headers on every response, cookie flags, trusted hosts and proxies, form limits."""

import re

import pytest

from tests.conftest import REPLY_DEFAULTS, reply_form_fields

REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def csp_directives(header: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def assert_secure_headers(response) -> None:
    for name, value in REQUIRED.items():
        assert response.headers.get(name) == value, name
    policy = csp_directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    script = policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    for sources in policy.values():
        for source in sources:  # nothing from another origin, no wildcard
            assert not re.match(r"^(https?:|\*|//|wss?:)", source), source
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions


@pytest.fixture
def pages(client, rich_post):
    """One response of each kind the site gives."""
    article = client.get(f"/posts/{rich_post}")
    fields = reply_form_fields(article.get_data(as_text=True))
    responses = {
        "front page": client.get("/"),
        "article": article,
        "tag page": client.get("/tags/council"),
        "404": client.get("/posts/no-such-story"),
        "405": client.delete("/"),
        "stylesheet": client.get("/static/site.css"),
        "healthz": client.get("/healthz"),
        "reply 303": client.post(f"/posts/{rich_post}/replies", data={**fields, **REPLY_DEFAULTS}),
        "reply 422": client.post(f"/posts/{rich_post}/replies", data={**fields, "body": ""}),
        "413": client.post(f"/posts/{rich_post}/replies", data={"body": "x" * 2_000_000}),
    }
    yield responses
    for response in responses.values():
        response.close()


def test_every_kind_of_response_carries_the_security_headers(pages):
    statuses = {name: r.status_code for name, r in pages.items()}
    assert statuses == {
        "front page": 200,
        "article": 200,
        "tag page": 200,
        "404": 404,
        "405": 405,
        "stylesheet": 200,
        "healthz": 200,
        "reply 303": 303,
        "reply 422": 422,
        "413": 413,
    }
    for response in pages.values():
        assert_secure_headers(response)


def test_pages_have_no_inline_script_or_event_handlers(pages):
    for name, response in pages.items():
        if not response.mimetype == "text/html":
            continue
        html = response.get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html, re.I):  # only files and data blocks
            assert " src=" in tag or 'type="application/ld+json"' in tag, (name, tag)
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), name
        assert "javascript:" not in html.lower(), name


def test_hsts_only_when_configured(make_app):
    assert "Strict-Transport-Security" not in make_app().test_client().get("/").headers
    secure = make_app(HSTS_SECONDS=31536000).test_client().get("/")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


def _reply_cookies(app, slug_maker) -> list[str]:
    client = app.test_client()
    slug = slug_maker()
    page = client.get(f"/posts/{slug}")
    data = {**reply_form_fields(page.get_data(as_text=True)), **REPLY_DEFAULTS, "remember": "y"}
    answer = client.post(f"/posts/{slug}/replies", data=data)
    assert answer.status_code == 303
    again = client.get(f"/posts/{slug}")  # then one without "remember me": the cookie is cleared
    data = {**reply_form_fields(again.get_data(as_text=True)), **REPLY_DEFAULTS, "body": "Again."}
    forget = client.post(f"/posts/{slug}/replies", data=data)
    assert forget.status_code == 303
    assert any(c.startswith("reply_author=;") for c in forget.headers.getlist("Set-Cookie"))
    return [
        cookie
        for response in (page, answer, again, forget)
        for cookie in response.headers.getlist("Set-Cookie")
    ]


@pytest.mark.parametrize("secure", [False, True])
def test_cookies_are_httponly_lax_and_secure_by_configuration(make_app, secure):
    from blog import clock
    from blog.articles import create_post
    from blog.extensions import db

    app = make_app(WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=secure)

    def new_post() -> str:
        with app.app_context():
            post = create_post(title="Cookie story", body="Text.", published_at=clock.now())
            db.session.commit()
            return post.slug

    cookies = _reply_cookies(app, new_post)
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"session", "my_replies", "reply_author"} <= names
    for cookie in cookies:
        flags = [f.strip().lower() for f in cookie.split(";")[1:]]
        assert "httponly" in flags, cookie
        assert "samesite=lax" in flags, cookie
        assert ("secure" in flags) is secure, cookie


def test_foreign_host_is_refused_when_trusted_hosts_is_set(make_app):
    client = make_app(TRUSTED_HOSTS=["news.example.org"]).test_client()
    assert client.get("/", headers={"Host": "news.example.org"}).status_code == 200
    refused = client.get("/", headers={"Host": "attacker.example"})
    assert refused.status_code == 400
    assert "attacker.example" not in refused.get_data(as_text=True)
    assert_secure_headers(refused)


@pytest.mark.parametrize("proxies, second_status", [(0, 429), (1, 303)])
def test_forwarded_address_is_believed_only_from_trusted_proxies(make_app, proxies, second_status):
    """The flood rule sees two readers behind one proxy only when the proxy is trusted."""
    from blog import clock
    from blog.articles import create_post
    from blog.extensions import db

    app = make_app(TRUSTED_PROXIES=proxies, REPLY_FLOOD_SECONDS=60)
    with app.app_context():
        slug = create_post(title="Proxy story", body="Text.", published_at=clock.now()).slug
        db.session.commit()
    statuses = []
    for number, address in enumerate(("198.51.100.7", "203.0.113.9")):
        client = app.test_client()
        page = client.get(f"/posts/{slug}")
        data = {
            **reply_form_fields(page.get_data(as_text=True)),
            "body": f"Reader {number} writes from behind the same proxy.",
            "name": f"Reader {number}",
            "email": f"reader{number}@example.com",
        }
        answer = client.post(
            f"/posts/{slug}/replies", data=data, headers={"X-Forwarded-For": address}
        )
        statuses.append(answer.status_code)
    assert statuses == [303, second_status]


def test_form_limits_answer_413(make_app):
    app = make_app(MAX_FORM_PARTS=20, MAX_FORM_MEMORY_SIZE=50_000)
    client = app.test_client()
    with app.app_context():
        from blog import clock
        from blog.articles import create_post
        from blog.extensions import db

        slug = create_post(title="Limits", body="Text.", published_at=clock.now()).slug
        db.session.commit()
    multipart = "multipart/form-data"
    url = f"/posts/{slug}/replies"
    many = client.post(url, data={f"f{i}": "x" for i in range(50)}, content_type=multipart)
    assert many.status_code == 413
    big_field = client.post(url, data={"body": "y" * 60_000}, content_type=multipart)
    assert big_field.status_code == 413
    too_long = client.post(f"/posts/{slug}/replies", data={"body": "z" * (1024 * 1024 + 10)})
    assert too_long.status_code == 413
    assert "larger than this site accepts" in too_long.get_data(as_text=True)


@pytest.mark.parametrize("secure", [False, True])
def test_staff_sign_in_cookie_is_httponly_lax_and_secure_by_configuration(make_app, secure):
    app = make_app(SESSION_COOKIE_SECURE=secure)
    if "admin.login" not in app.view_functions:
        pytest.skip("the desk sign-in is not part of this build yet")
    runner = app.test_cli_runner()
    made = runner.invoke(args=["create-user", "desk", "--admin"], input="long-passphrase\n" * 2)
    assert made.exit_code == 0, made.output
    client = app.test_client()
    answer = client.post("/admin/login", data={"username": "desk", "password": "long-passphrase"})
    assert answer.status_code in (302, 303), answer.status_code
    cookies = answer.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=") for c in cookies)
    for cookie in cookies:
        flags = [f.strip().lower() for f in cookie.split(";")[1:]]
        assert "httponly" in flags and "samesite=lax" in flags, cookie
        assert ("secure" in flags) is secure, cookie
    assert_secure_headers(answer)
