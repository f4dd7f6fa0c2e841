"""Helpers for the desk tests: staff accounts and signing in through the real form."""

import re

from flask import Flask

from blog.extensions import db
from blog.models import User

PASSWORD = "correct horse battery"


def make_user(app: Flask, username: str = "mara", *, admin: bool = False, password: str = PASSWORD):
    """Create a staff account and return its id."""
    with app.app_context():
        user = User(username=username, display_name=username.title(), is_admin=admin)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user.id


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token on the page"
    return match.group(1)


def sign_in(client, username: str = "mara", password: str = PASSWORD, next_url: str | None = None):
    """GET the sign-in page, then POST the form as a browser would."""
    query = {"next": next_url} if next_url else None
    page = client.get("/admin/login", query_string=query)
    data = {"username": username, "password": password}
    if 'name="csrf_token"' in page.get_data(as_text=True):
        data["csrf_token"] = csrf_from(page.get_data(as_text=True))
    return client.post("/admin/login", query_string=query, data=data)
