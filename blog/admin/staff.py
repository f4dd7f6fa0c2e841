"""Admin-only pages: staff accounts, the audit log, the reply word lists."""

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import AuditEntry, User
from ..moderation_settings import desk_words, save_desk_words, split_words
from .access import admin_required, record
from .auth_views import find_user
from .forms import UserForm, WordListsForm


@admin_required
def users():
    """List staff accounts and add one (admins only)."""
    form = UserForm()
    status = 200
    if request.method == "POST":
        if form.validate() and find_user(form.username.data):
            form.username.errors.append("An account with this username exists already.")
        elif not form.errors:
            user = User(
                username=form.username.data,
                display_name=form.display_name.data or "",
                is_admin=form.role.data == "admin",
                session_version=0,
            )
            user.set_password(form.password.data)
            db.session.add(user)
            db.session.flush()
            record("user-create", f"user:{user.id}", f"{user.username} ({user.role})")
            db.session.commit()
            flash(f"Added {user.role} {user.username}.", "info")
            return redirect(url_for("admin.users"), code=303)
        status = 422
    accounts = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", form=form, accounts=accounts), status


def _other_account(user_id: int) -> User:
    """An account other than your own (you change your own at /admin/account)."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.id == current_user.id:
        abort(403, "Use Your account for your own password; ask another admin to change your role.")
    return user


@admin_required
def change_role(user_id: int):
    """Make an account an admin or an editor."""
    user = _other_account(user_id)
    role = request.form.get("role")
    if role not in ("admin", "editor"):
        abort(400, "Choose admin or editor.")
    user.is_admin = role == "admin"
    record("user-role", f"user:{user.id}", f"{user.username} is now {role}")
    db.session.commit()
    flash(f"{user.username} is now an {role}.", "info")
    return redirect(url_for("admin.users"), code=303)


@admin_required
def lock_account(user_id: int):
    """Revoke an account: its sessions end and no password works until one is set again."""
    user = _other_account(user_id)
    user.set_password(secrets.token_urlsafe(32))
    record("user-lock", f"user:{user.id}", user.username)
    db.session.commit()
    flash(
        f"{user.username} is signed out everywhere and cannot sign in until "
        f"`flask set-password {user.username}` gives the account a new password.",
        "info",
    )
    return redirect(url_for("admin.users"), code=303)


@admin_required
def audit_log():
    """Who did what, newest first (admins only)."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    action = (request.args.get("action") or "").strip()[:40]
    if action:
        query = query.where(AuditEntry.action == action)
    page = db.paginate(query, per_page=100, error_out=False)
    return render_template("admin/audit.html", page=page, action=action)


@admin_required
def word_lists():
    """Edit the words that hold a reply for moderation or mark it as spam."""
    if request.method == "GET":
        form = WordListsForm(
            data={
                "moderation_words": "\n".join(desk_words("REPLY_MODERATION_WORDS")),
                "block_words": "\n".join(desk_words("REPLY_BLOCK_WORDS")),
            }
        )
        return render_template("admin/words.html", form=form)
    form = WordListsForm()
    if not form.validate():
        return render_template("admin/words.html", form=form), 422
    hold = split_words(form.moderation_words.data)
    block = split_words(form.block_words.data)
    save_desk_words("REPLY_MODERATION_WORDS", hold)
    save_desk_words("REPLY_BLOCK_WORDS", block)
    record("settings-words", "settings", f"{len(hold)} hold words, {len(block)} spam words")
    db.session.commit()
    flash("Word lists saved. They apply to the next reply sent.", "info")
    return redirect(url_for("admin.word_lists"), code=303)
