"""Staff sign-in and sign-out, with failed attempts slowed per account and per address."""

from functools import lru_cache

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import render_error
from ..extensions import db
from ..models import User
from . import sign_in_limits
from .access import record, safe_next
from .forms import LoginForm, PasswordForm

LIMIT_MESSAGE = "Too many failed sign-in attempts. Please wait a few minutes, then try again."
WRONG_CREDENTIALS = "That username and password do not match an account."


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to check against when the account does not exist, so timing tells nothing."""
    return generate_password_hash("not-a-real-password")


def _account_key() -> str:
    """Rate-limit key for the account being tried (whatever was typed, case-folded)."""
    return (request.form.get("username") or "").strip().lower()[:64]


def find_user(username: str) -> User | None:
    """The account with this username, ignoring case."""
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def login():
    """Sign a staff member in and go on to `next` (same site only) or the dashboard."""
    target = safe_next(request.args.get("next"), url_for("admin.index"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target)
    form = LoginForm()
    if request.method == "POST":
        account, address = _account_key(), request.remote_addr or ""
        wait = sign_in_limits.seconds_to_wait(account, address)
        if wait:  # even the right password waits until the window resets
            page, status = render_error(429, LIMIT_MESSAGE)
            return page, status, {"Retry-After": str(wait)}
        if not form.validate():
            sign_in_limits.count_failure(account, address)
            return render_template("admin/login.html", form=form), 422
        user = find_user(form.username.data)
        if user is None:
            check_password_hash(_dummy_hash(), form.password.data)
        elif user.check_password(form.password.data):
            login_user(user)
            record("sign-in", f"user:{user.id}", user.username)
            db.session.commit()
            return redirect(target, code=303)
        sign_in_limits.count_failure(account, address)
        form.password.errors.append(WRONG_CREDENTIALS)
        return render_template("admin/login.html", form=form, failed=True), 200
    return render_template("admin/login.html", form=form)


def logout():
    """Sign out (POST only, with the CSRF token, so no link can sign anyone out)."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("admin.login"), code=303)


def account():
    """Change your own password; every other session of the account ends."""
    form = PasswordForm()
    if request.method == "POST":
        valid = form.validate()
        if valid and not current_user.check_password(form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
            valid = False
        if valid:
            user = current_user._get_current_object()
            user.set_password(form.new_password.data)
            record("password-change", f"user:{user.id}", user.username)
            db.session.commit()
            login_user(user)  # this browser carries the new session version
            flash("Password changed. Other sessions of this account are signed out.", "info")
            return redirect(url_for("admin.account"), code=303)
        return render_template("admin/account.html", form=form), 422
    return render_template("admin/account.html", form=form)
