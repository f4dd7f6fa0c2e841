"""Staff sign-in and sign-out, with failed attempts slowed per account and per address."""

from functools import lru_cache

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db, limiter
from ..models import User
from .access import record, safe_next
from .blueprint import bp
from .forms import LoginForm, PasswordForm

LIMIT_MESSAGE = "Too many failed sign-in attempts. Please wait a few minutes, then try again."
WRONG_CREDENTIALS = "That username and password do not match an account."


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to check against when the account does not exist, so timing tells nothing."""
    return generate_password_hash("not-a-real-password")


def _account_key() -> str:
    """Rate-limit key for the account being tried (whatever was typed, case-folded)."""
    return "account:" + (request.form.get("username") or "").strip().lower()[:64]


def _account_limit() -> str:
    return current_app.config.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes")


def _address_limit() -> str:
    return current_app.config.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 15 minutes")


def _failed(response) -> bool:
    """Only failed attempts count: a successful sign-in answers 303."""
    return response.status_code != 303


def find_user(username: str) -> User | None:
    """The account with this username, ignoring case."""
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _account_limit,
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="desk-login-account",
    error_message=LIMIT_MESSAGE,
)
@limiter.limit(
    _address_limit,
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_failed,
    scope="desk-login-address",
    error_message=LIMIT_MESSAGE,
)
def login():
    """Sign a staff member in and go on to `next` (same site only) or the dashboard."""
    target = safe_next(request.args.get("next"), url_for("admin.index"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target)
    form = LoginForm()
    if request.method == "POST":
        if not form.validate():
            return render_template("admin/login.html", form=form), 422
        user = find_user(form.username.data)
        if user is None:
            check_password_hash(_dummy_hash(), form.password.data)
        elif user.check_password(form.password.data):
            login_user(user)
            record("sign-in", f"user:{user.id}", user.username)
            db.session.commit()
            return redirect(target, code=303)
        form.password.errors.append(WRONG_CREDENTIALS)
        return render_template("admin/login.html", form=form, failed=True), 200
    return render_template("admin/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out (POST only, with the CSRF token, so no link can sign anyone out)."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("admin.login"), code=303)


@bp.route("/account", methods=["GET", "POST"])
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
